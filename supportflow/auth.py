"""Tokens and who they belong to.

Three kinds of bearer token exist: the admin token (configured or generated at first start),
agent tokens (`sfa_...`, issued by `POST /api/agents`) and user tokens (`sfu_...`, issued by
`POST /api/sessions`, bound to that session's room). Only SHA-256 digests of agent and user
tokens are stored. Tokens carry 256 bits of randomness, so a fast digest is enough, and a
lookup by digest reveals nothing useful about the token; the admin token, compared directly,
goes through `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum

from supportflow.errors import Forbidden, RateLimited, Unauthorized
from supportflow.settings import Settings
from supportflow.store import SessionRecord, Store
from supportflow.token_buckets import KeyedBuckets

log = logging.getLogger(__name__)

AGENT_PREFIX = "sfa_"
USER_PREFIX = "sfu_"
_MAX_TOKEN_CHARS = 256


class Role(StrEnum):
    ADMIN = "admin"
    AGENT = "agent"
    USER = "user"


class Action(StrEnum):
    """What a principal may ask of a room; `Principal.may` decides each one."""

    READ = "read"  # join, sync, typing, transcripts, /api/ask with a session
    POST = "post"  # send a message
    HANDLE = "handle"  # claim, release: agents only (the room checks who holds it)
    ESCALATE = "escalate"
    CLOSE = "close"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the admin, an agent, or the user of one session.

    Every permission decision of supportflow is here: which room a token may address at
    all, and what it may do in a room (`may`). What depends on the room's state beyond
    that (only the holding agent may release or talk) is the room machine's guard.
    """

    role: Role
    id: str  # "admin", the agent_id, or the user_id
    session_id: str | None = None
    room_id: str | None = None

    @property
    def is_staff(self) -> bool:
        """Agents and the admin: they may read a room's private notes."""
        return self.role is not Role.USER

    def may_address(self, room_id: str | None = None, session_id: str | None = None) -> bool:
        """False when no action on that room or session can be allowed (a customer's
        other rooms). Checked before any lookup, so a customer never learns what exists."""
        if self.role is not Role.USER:
            return True
        return (room_id is None or room_id == self.room_id) and (
            session_id is None or session_id == self.session_id
        )

    def may(self, action: Action, session: SessionRecord) -> bool:
        """Whether this principal may do `action` in `session`'s room."""
        if self.role is Role.USER:
            return self.session_id == session.session_id and action is not Action.HANDLE
        if self.role is Role.ADMIN:
            return action is not Action.POST and action is not Action.HANDLE
        if action is Action.READ:
            return self.may_read_room(session.room_id, session.status, session.agent_id)
        if action is Action.ESCALATE:
            return session.agent_id == self.id
        return True  # post, handle, close: the room's guard checks the holder

    def may_read_room(self, room_id: str, state: str, agent_id: str | None) -> bool:
        """`may(Action.READ, ...)` from what a state change announces: the room, its new
        state and agent. Any agent may read a room while it is queued (to decide to claim)."""
        if self.role is Role.ADMIN:
            return True
        if self.role is Role.USER:
            return self.room_id == room_id
        return agent_id == self.id or state == "escalating"

    def may_read(self, session: SessionRecord) -> bool:
        """The admin, the session's customer, or its agent; any agent while it is queued."""
        return self.may(Action.READ, session)

    def ensure(self, action: Action, session: SessionRecord) -> SessionRecord:
        """`session`, if this principal may do `action` in it; Forbidden otherwise."""
        if not self.may_address(session.room_id) or not self.may(action, session):
            raise self.refusal(action)
        return session

    def refusal(self, action: Action) -> Forbidden:
        """The error a refused `action` answers with (also for rooms that do not exist,
        to those who could not have used them anyway)."""
        return Forbidden(*_refusal(self.role, action))

    def may_manage_agent(self, agent_id: str) -> bool:
        """The admin, or that agent itself (its availability)."""
        return self.role is Role.ADMIN or (self.role is Role.AGENT and self.id == agent_id)

    def require(self, *roles: Role) -> Principal:
        """This principal, if it has one of `roles`; Forbidden otherwise."""
        if self.role not in roles:
            allowed = " or ".join(role.value for role in roles)
            raise Forbidden(f"this needs an {allowed} token")
        return self


def _refusal(role: Role, action: Action) -> tuple[str, str]:
    """The message and code a refused `action` answers with."""
    if action is Action.HANDLE:
        return "only agents claim and release rooms", "forbidden"
    if role is Role.USER:
        return "a customer may only use its own room", "not_your_room"
    if role is Role.ADMIN:
        return "only customers and agents send messages", "forbidden"
    if action is Action.READ:
        return "agents may open rooms they hold or that are queued", "not_your_room"
    return "an agent may only escalate a room it holds", "forbidden"


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Authenticator:
    """Turns a bearer token into a `Principal`, or refuses it."""

    def __init__(self, store: Store, admin_token: str, failures_per_minute: int = 20) -> None:
        self._store = store
        self._admin_digest = token_digest(admin_token)
        self._failures = KeyedBuckets.every_minute(failures_per_minute)

    def is_admin(self, token: str | None) -> bool:
        """Whether `token` is the admin token (no lookup, no throttling)."""
        return bool(token) and hmac.compare_digest(token_digest(token or ""), self._admin_digest)

    async def authenticate(self, token: str | None, client: str | None = None) -> Principal:
        """The principal `token` stands for; Unauthorized if none.

        With `client` (the caller's address), wrong tokens are counted: past
        `failures_per_minute` of them, that address is refused (429 `too_many_failures`)
        for a while, even with a valid token, so guessing tokens gets nowhere.
        """
        if not token or len(token) > _MAX_TOKEN_CHARS:
            raise Unauthorized("a valid bearer token is required")
        if client is not None and not self._failures.has_one(client):
            raise RateLimited(
                "too many failed sign-ins from this address: wait a minute", "too_many_failures"
            )
        try:
            return await self._authenticate(token)
        except Unauthorized:
            if client is not None:
                self._failures.take(client)
            raise

    async def _authenticate(self, token: str) -> Principal:
        digest = token_digest(token)
        if hmac.compare_digest(digest, self._admin_digest):
            return Principal(Role.ADMIN, "admin")
        if token.startswith(AGENT_PREFIX):
            return await self.recheck(Role.AGENT, digest)
        if token.startswith(USER_PREFIX):
            return await self.recheck(Role.USER, digest)
        raise Unauthorized("the token is not valid")

    async def recheck(self, role: Role, digest: str) -> Principal:
        """The principal a token of `role` (known by its digest) stands for now.

        Open sockets call this on every event, so a token that has since expired, whose
        room closed, that was rotated or whose agent was disabled stops at once. Each of
        those answers its own code; an unknown token answers `unauthorized`.
        """
        if role is Role.ADMIN:
            if hmac.compare_digest(digest, self._admin_digest):
                return Principal(Role.ADMIN, "admin")
        elif role is Role.AGENT:
            agent = await self._store.agent_by_token_digest(digest)
            if agent is not None and agent.disabled:
                raise Unauthorized("this agent has been disabled", "agent_disabled")
            if agent is not None:
                return Principal(Role.AGENT, agent.agent_id)
        else:
            # A customer's first token is its session's; a device that resumed the chat
            # (the widget's identify) holds one of its own.
            session = await self._store.session_by_token_digest(
                digest
            ) or await self._store.session_by_extra_token(digest)
            # A customer token dies with its room, and in any case at its expiry.
            if session is not None and session.status == "closed":
                raise Unauthorized(f"room {session.room_id} is closed", "room_closed")
            if session is not None and session.expired:
                raise Unauthorized("this chat's token has expired", "token_expired")
            if session is not None:
                return Principal(Role.USER, session.user_id, session.session_id, session.room_id)
        raise Unauthorized("the token is not valid")


def ensure_admin_token(settings: Settings) -> str:
    """The configured admin token, or the one kept in the data dir (created on first start).

    The admin endpoints never run open: without SUPPORTFLOW_ADMIN_TOKEN a random token is
    written to `<data dir>/admin_token` with mode 0600, and its path is logged.
    """
    if settings.admin_token:
        return settings.admin_token
    path = settings.admin_token_file
    if path.is_file():
        token = path.read_text(encoding="utf-8").strip()
        if token:
            return token
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    log.warning("generated an admin token", extra={"path": str(path.resolve())})
    return token
