"""Customer sessions: each one is a chat room with its own customer token."""

from __future__ import annotations

from quart import Blueprint
from quart_schema import validate_request, validate_response

from supportflow.api.context import require, services, session_for
from supportflow.api.models import CreateSession, Session, SessionWithToken
from supportflow.auth import USER_PREFIX, Action, Role, new_token, token_digest
from supportflow.store import utc_in

blueprint = Blueprint("sessions", __name__, url_prefix="/api")


@blueprint.post("/sessions")
@validate_request(CreateSession)
@validate_response(SessionWithToken, 201)
async def create_session(data: CreateSession) -> tuple[SessionWithToken, int]:
    """Start a chat: a new session and room for `user_id` (created if unknown).

    Open to anyone, like the chat widget on a website; the token it returns opens only
    this session's room.
    """
    token = new_token(USER_PREFIX)
    # The lifetime is fixed when the token is issued, like a certificate's.
    expires_at = utc_in(services().settings.user_token_ttl_seconds)
    record = await services().store.create_session(data.user_id, token_digest(token), expires_at)
    return SessionWithToken(**Session.of(record).model_dump(), token=token), 201


@blueprint.get("/sessions/<session_id>")
@validate_response(Session, 200)
async def get_session(session_id: str) -> Session:
    """A session and its room's state (admin, its customer, or its agent)."""
    principal = await require(Role.ADMIN, Role.AGENT, Role.USER)
    return Session.of(await session_for(principal, session_id, Action.READ))
