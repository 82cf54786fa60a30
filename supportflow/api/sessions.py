"""Customer sessions: each one is a chat room with its own customer token."""

from __future__ import annotations

import secrets

from quart import Blueprint
from quart_schema import validate_request, validate_response

from supportflow.api.context import bearer_token, require, services, session_for
from supportflow.api.models import CreateSession, Session, SessionWithToken
from supportflow.api.rate_limits import Costly, check_rate
from supportflow.auth import USER_PREFIX, Action, Role, new_token, token_digest
from supportflow.errors import Forbidden
from supportflow.store import utc_in

ANONYMOUS_PREFIX = "anon-"

blueprint = Blueprint("sessions", __name__, url_prefix="/api")


@blueprint.post("/sessions")
@validate_request(CreateSession)
@validate_response(SessionWithToken, 201)
async def create_session(data: CreateSession) -> tuple[SessionWithToken, int]:
    """Start a chat: a new session and room, with its own customer token.

    Open to anyone, like the chat widget on a website: without a token the server chooses
    an anonymous `user_id`. A chat is tied to a chosen user only with proof: the admin
    token (any `user_id`, created if unknown), or a customer token of that same user (its
    next chat). Rate limited per client address, except for the admin token.
    """
    check_rate(Costly.SESSIONS)
    user_id = await _user_for_new_session(data.user_id)
    token = new_token(USER_PREFIX)
    # The lifetime is fixed when the token is issued, like a certificate's.
    expires_at = utc_in(services().settings.user_token_ttl_seconds)
    record = await services().store.create_session(user_id, token_digest(token), expires_at)
    return SessionWithToken(**Session.of(record).model_dump(), token=token), 201


async def _user_for_new_session(requested: str | None) -> str:
    """Who the new chat belongs to: as `create_session` explains."""
    token = bearer_token()
    if services().authenticator.is_admin(token):
        return requested or _anonymous_id()
    if token:
        principal = await require(Role.USER)
        if requested not in (None, principal.id):
            raise Forbidden("user_id does not match this token", "identity_mismatch")
        return principal.id
    if requested is not None:
        raise Forbidden(
            "choosing a user_id needs the admin token or a customer token of that user;"
            " leave user_id out for an anonymous chat",
            "user_id_needs_token",
        )
    return _anonymous_id()


def _anonymous_id() -> str:
    # Random, so no one can be given someone else's history; the prefix tells agents.
    return f"{ANONYMOUS_PREFIX}{secrets.token_hex(12)}"


@blueprint.get("/sessions/<session_id>")
@validate_response(Session, 200)
async def get_session(session_id: str) -> Session:
    """A session and its room's state (admin, its customer, or its agent)."""
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    return Session.of(await session_for(principal, session_id, Action.READ))
