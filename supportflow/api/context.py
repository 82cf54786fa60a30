"""Request-side access to the services the app opened at start-up."""

from __future__ import annotations

from quart import current_app, request

from supportflow.auth import Action, Principal, Role
from supportflow.errors import NotFound
from supportflow.services import Services
from supportflow.store import SessionRecord


def services() -> Services:
    """The running app's services (opened in `while_serving`)."""
    found: Services = current_app.extensions["supportflow"]
    return found


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def require(*roles: Role) -> Principal:
    """The caller's principal if its token is valid and has one of `roles`.

    Raises Unauthorized (401) without a valid token, Forbidden (403) for another role.
    """
    principal = await services().authenticator.authenticate(bearer_token(), client_address())
    return principal.require(*roles)


def client_address() -> str:
    """The caller's address, as the connection shows it (no proxy header is trusted)."""
    return request.remote_addr or "unknown"


async def session_for(principal: Principal, session_id: str, action: Action) -> SessionRecord:
    """The session, if `principal` may do `action` in it (see `Principal.may`).

    A caller who may not gets the same 403 whether the session exists or not, so a refusal
    never tells it which sessions exist; only the admin sees 404 for an unknown id.
    """
    if not principal.may_address(session_id=session_id):
        raise principal.refusal(action)
    try:
        session = await services().store.get_session(session_id)
    except NotFound:
        if principal.role is Role.ADMIN:
            raise
        raise principal.refusal(action) from None
    return principal.ensure(action, session)
