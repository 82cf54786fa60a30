"""Request-side access to the services the app opened at start-up."""

from __future__ import annotations

from quart import current_app, request

from supportflow.auth import Principal, Role
from supportflow.services import Services


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
    principal = await services().authenticator.authenticate(bearer_token())
    return principal.require(*roles)
