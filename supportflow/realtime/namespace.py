"""The Socket.IO "/" namespace: the event contract of docs/socketio.md, top to bottom.

Each handler authenticates (from the connection), validates its payload, checks that the
caller may touch the room, then hands a command to the room's mailbox and acknowledges
`{"ok": true, ...}`; any refusal acknowledges `{"ok": false, "error": {"code", "message"}}`.
No handler changes room state itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import socketio
from pydantic import ValidationError

from supportflow.auth import Action, Principal, Role, token_digest
from supportflow.conversation.acts import BOT_UNHELPFUL
from supportflow.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    SupportflowError,
    Unauthorized,
    invalid_input,
)
from supportflow.input_checks import ensure_encodable, is_invisible
from supportflow.realtime.connection_limits import ConnectionCount, EventRateLimit
from supportflow.realtime.payloads import (
    AddNote,
    EscalateRoom,
    Feedback,
    JoinRoom,
    LeaveContact,
    Payload,
    Rate,
    RoomRef,
    SendMessage,
    Sync,
    TransferRoom,
    Typing,
    message_event,
)
from supportflow.realtime.pending_transports import client_address
from supportflow.realtime.site_origins import check_page_origin
from supportflow.realtime.socket_notifier import staff_room
from supportflow.rooms.commands import AddNote as AddNoteCommand
from supportflow.rooms.commands import (
    Claim,
    Close,
    Escalate,
    GiveFeedback,
    PostMessage,
    RateChat,
    Release,
    StateChange,
    Transfer,
    TransferToTeam,
)
from supportflow.rooms.commands import LeaveContact as LeaveContactCommand
from supportflow.services import Services
from supportflow.store import SessionRecord

log = logging.getLogger(__name__)

P = TypeVar("P", bound=Payload)

_LIFECYCLE_EVENTS = {"connect", "disconnect"}
# What a customer socket may still do once its room is closed (its token died with it).
_AFTER_CLOSE_EVENTS = {"rate"}
# The events the transport turns refused packets into (see realtime/server.py): one too
# deeply nested to decode, one whose event name is not a string, one naming a reserved event.
UNDECODABLE_EVENT = "\x00undecodable"
NAMELESS_EVENT = "\x00nameless"
RESERVED_EVENT = "\x00reserved"
_REFUSED_EVENTS = {
    UNDECODABLE_EVENT: ("the payload is nested too deeply", "invalid_input"),
    NAMELESS_EVENT: ("an event's name must be a string", "invalid_input"),
    RESERVED_EVENT: ("that event name is the transport's own", "reserved_event"),
}


class ChatNamespace(socketio.AsyncNamespace):  # type: ignore[misc]  # untyped library
    def __init__(
        self,
        namespace: str,
        services: Callable[[], Services],
        rate_limit: EventRateLimit,
        connections: ConnectionCount,
    ) -> None:
        super().__init__(namespace)
        self._services = services
        self._rate_limit = rate_limit
        self._connections = connections
        self._dropping: set[asyncio.Task[None]] = set()

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Route to `on_<event>`, answering unknown events and odd arguments with an error ack."""
        if event in _LIFECYCLE_EVENTS:
            return await super().trigger_event(event, *args)
        sid = args[0]
        try:
            # Before anything else, so a flood of junk or unknown events costs nothing.
            self._rate_limit.check(sid)
        except SupportflowError as error:
            return error.to_ack()
        if event in _REFUSED_EVENTS:
            return InvalidInput(*_REFUSED_EVENTS[event]).to_ack()
        handler = getattr(self, f"on_{event}", None) if event.isidentifier() else None
        if handler is None:
            return InvalidInput(f"unknown event {event[:64]!r}", "unknown_event").to_ack()
        if len(args) != 2:
            return InvalidInput("send exactly one payload object").to_ack()
        try:
            principal = await self._still_valid(sid, event)
        except Unauthorized as error:
            self._drop_soon(sid, error)
            return error.to_ack()
        except SupportflowError as error:  # the token could not be checked (database down)
            return error.to_ack()
        try:
            ensure_encodable(args[1])
            result: dict[str, Any] = await handler(sid, principal, args[1])
        except SupportflowError as error:
            return error.to_ack()
        except Exception:
            log.exception("socket event failed", extra={"event": event, "sid": sid})
            return {
                "ok": False,
                "error": {"code": "internal_error", "message": "something went wrong on our side"},
            }
        return {"ok": True, **result}

    async def on_connect(self, sid: str, _environ: dict[str, Any], auth: Any = None) -> None:
        """Accept only `auth={"token": ...}` with a valid token; refuse anything else.

        Only python-socketio calls this (the server refuses client events of that name);
        even so, the address and Origin come from the environ the server recorded for the
        transport, never from an argument, and a socket already signed in is refused.
        """
        token = auth.get("token") if isinstance(auth, dict) else None
        token = token if isinstance(token, str) else ""
        services = self._services()
        environ = self._recorded_environ(sid)
        if (await self.get_session(sid)).get("principal") is not None:
            raise socketio.exceptions.ConnectionRefusedError(
                "this socket is already connected",
                {"code": "already_connected", "message": "this socket is already connected"},
            )
        try:
            principal = await services.authenticator.authenticate(token, client_address(environ))
            await check_page_origin(services, principal, environ)
        except SupportflowError as error:
            # The client's connect_error gets {"message": ..., "data": {"code", "message"}}.
            raise socketio.exceptions.ConnectionRefusedError(
                error.message, error.to_payload()["error"]
            ) from None
        # Keyed by digest, so the token itself is kept nowhere, not even in memory here.
        token_key = token_digest(token)
        if not self._connections.acquire(token_key):
            refusal = RateLimited(
                f"this token already has {self._connections.limit} open connections",
                "too_many_connections",
            )
            raise socketio.exceptions.ConnectionRefusedError(
                refusal.message, refusal.to_payload()["error"]
            )
        try:
            await self.save_session(sid, {"principal": principal, "token_key": token_key})
            if principal.role is Role.AGENT:
                agent = await services.store.get_agent(principal.id)
                await services.notifier.agent_connected(sid, agent.agent_id, agent.is_available)
                await services.presence.connected(agent.agent_id)
        except BaseException:
            self._connections.release(token_key)
            raise
        services.metrics.sockets.labels(role=principal.role.value).inc()
        log.info("socket connected", extra={"sid": sid, "role": principal.role.value})

    def _recorded_environ(self, sid: str) -> dict[str, Any]:
        recorded: dict[str, Any] | None = self.server.get_environ(sid, self.namespace)
        return recorded or {}

    async def _still_valid(self, sid: str, event: str) -> Principal:
        """The socket's principal, its token checked again now (Unauthorized if it died:
        expired, its room closed, rotated, or its agent disabled).

        A customer whose room just closed may still `rate` it on the open socket: that is
        the one thing a closed room is for.
        """
        session = await self.get_session(sid)
        found: Principal = session["principal"]
        try:
            return await self._services().authenticator.recheck(found.role, session["token_key"])
        except Unauthorized as error:
            if error.code == "room_closed" and event in _AFTER_CLOSE_EVENTS:
                return found
            raise

    def _drop_soon(self, sid: str, error: SupportflowError) -> None:
        """Disconnect `sid` once the refusal's ack is on its way (it is queued first)."""
        notifier = self._services().notifier
        task = asyncio.create_task(notifier.drop(sid, error.code, error.message))
        self._dropping.add(task)
        task.add_done_callback(self._dropping.discard)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        session = await self.get_session(sid)
        self._rate_limit.forget(sid)
        if session and "token_key" in session:
            self._connections.release(session["token_key"])
        principal = session.get("principal") if session else None
        if principal is not None:
            self._services().metrics.sockets.labels(role=principal.role.value).dec()
        if principal is not None and principal.role is Role.AGENT:
            self._services().notifier.agent_disconnected(sid, principal.id)
            await self._services().presence.disconnected(principal.id)
        log.info("socket disconnected", extra={"sid": sid})

    async def on_join_room(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(JoinRoom, data)
        _check_claimed_identity(principal, payload.user_type, payload.user_id)
        session = await self._room_for(principal, payload.room_id, Action.READ)
        # Enter first, then read: a message sent in between arrives twice (same seq),
        # never zero times.
        await self._enter(sid, principal, session.room_id)
        services = self._services()
        current = await services.store.session_by_room(session.room_id)
        if not principal.may_read(current):
            # Lost the right between the check and entering (a claim by another agent):
            # the claim's revocation may have run before we entered, so leave here.
            await self.leave_room(sid, session.room_id)
            await self.leave_room(sid, staff_room(session.room_id))
            raise principal.refusal(Action.READ)
        history = await services.store.recent_messages(
            session.room_id, services.settings.history_limit, include_private=principal.is_staff
        )
        return {
            "room_id": current.room_id,
            "session_id": current.session_id,
            "state": current.status,
            "agent_id": current.agent_id,
            "messages": [message_event(message) for message in history],
        }

    async def on_leave_room(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """Leave a chat room (and its staff channel). Only a room the caller could address:
        the server's own channels (`agents`, `agent:<id>`, a socket's sid) are not rooms, so
        a client cannot step out of what the server tells or moves it by."""
        payload = _parse(RoomRef, data)
        if not principal.may_address(room_id=payload.room_id):
            raise principal.refusal(Action.READ)
        room_id = (await self._room(payload.room_id)).room_id
        await self.leave_room(sid, room_id)
        await self.leave_room(sid, staff_room(room_id))
        return {"room_id": room_id}

    async def on_send_message(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(SendMessage, data)
        _check_claimed_identity(principal, payload.user_type, payload.user_id)
        text = self._checked_text(payload.message)
        room_id = (await self._room_for(principal, payload.room_id, Action.POST)).room_id
        command = PostMessage(principal.role.value, principal.id, text, payload.client_msg_id)
        posted = await self._services().rooms.submit(room_id, command)
        return {"seq": posted.message.seq, "duplicate": posted.duplicate}

    async def on_claim_room(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(RoomRef, data)
        principal.require(Role.AGENT)
        room_id = (await self._room_for(principal, payload.room_id, Action.HANDLE)).room_id
        # The claimer's sockets enter the room's channel when the claim is stored (the
        # notifier's `sync_readers`), so a refused claim never hears the room.
        change = await self._services().rooms.submit(room_id, Claim(principal.id))
        return _state_ack(change)

    async def on_release_room(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(RoomRef, data)
        principal.require(Role.AGENT)
        session = await self._room_for(principal, payload.room_id, Action.HANDLE)
        services = self._services()
        # The state change takes the agent's sockets out of the room (`sync_readers`).
        change = await services.rooms.submit(session.room_id, Release(principal.id))
        return _state_ack(change)

    async def on_transfer_room(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """The assigned agent hands the room to another available agent, who is alerted, or
        back to the queue of a team (`team_id`), whose available agents are alerted first."""
        payload = _parse(TransferRoom, data)
        principal.require(Role.AGENT)
        session = await self._room_for(principal, payload.room_id, Action.HANDLE)
        services = self._services()
        me = await services.store.get_agent(principal.id)
        command: Transfer | TransferToTeam
        if payload.team_id is not None:
            team = await services.store.get_team(payload.team_id)
            command = TransferToTeam(me.agent_id, me.name, team.team_id, team.name)
        else:
            assert payload.agent_id is not None
            target = await services.store.get_agent(payload.agent_id)
            # Enabled, available and under capacity are checked where the transfer is
            # stored; an agent with no socket would strand the customer (and if its last
            # socket closes right after this, the absent-agent sweep re-queues the room
            # after the grace).
            await services.presence.ensure_connected(target.agent_id)
            command = Transfer(me.agent_id, me.name, target.agent_id, target.name)
        # The state change takes the previous agent's sockets out of the room's channels,
        # its notes' included, and puts the new holder's in (`sync_readers`).
        change = await services.rooms.submit(session.room_id, command)
        return _state_ack(change)

    async def on_close_room(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(RoomRef, data)
        room_id = (await self._room_for(principal, payload.room_id, Action.CLOSE)).room_id
        command = Close(principal.role.value, principal.id)
        return _state_ack(await self._services().rooms.submit(room_id, command))

    async def on_escalate(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """A customer asks for a human (or the admin, or the agent holding the room)."""
        payload = _parse(EscalateRoom, data)
        room_id = (await self._room_for(principal, payload.room_id, Action.ESCALATE)).room_id
        return _state_ack(await self._services().rooms.submit(room_id, Escalate((payload.reason,))))

    async def on_sync(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(Sync, data)
        session = await self._room_for(principal, payload.room_id, Action.READ)
        messages = await self._services().store.messages_after(
            session.room_id, payload.after_seq, include_private=principal.is_staff
        )
        return {"room_id": session.room_id, "messages": [message_event(m) for m in messages]}

    async def on_add_note(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """A private note: agents who may read the room (and the admin); never to customers."""
        payload = _parse(AddNote, data)
        principal.require(Role.AGENT, Role.ADMIN)
        text = self._checked_text(payload.text)
        room_id = (await self._room_for(principal, payload.room_id, Action.READ)).room_id
        command = AddNoteCommand(principal.role.value, principal.id, text)
        note = await self._services().rooms.submit(room_id, command)
        return {"seq": note.seq}

    async def on_leave_contact(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """The customer leaves an email address to be answered at (e.g. out of hours)."""
        payload = _parse(LeaveContact, data)
        principal.require(Role.USER)
        room_id = (await self._room_for(principal, payload.room_id, Action.POST)).room_id
        await self._services().rooms.submit(room_id, LeaveContactCommand(payload.email))
        return {"room_id": room_id, "email": payload.email}

    async def on_rate(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """The customer rates its closed chat, once (CSAT)."""
        payload = _parse(Rate, data)
        principal.require(Role.USER)
        room_id = (await self._room_for(principal, payload.room_id, Action.POST)).room_id
        command = RateChat(payload.score, payload.comment or None)
        rating = await self._services().rooms.submit(room_id, command)
        return {"room_id": rating.room_id, "score": rating.score}

    async def on_feedback(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        """The customer's thumbs up or down on a bot reply; down hands over (`bot_unhelpful`)."""
        payload = _parse(Feedback, data)
        principal.require(Role.USER)
        room_id = (await self._room_for(principal, payload.room_id, Action.POST)).room_id
        command = GiveFeedback(payload.seq, payload.verdict, BOT_UNHELPFUL)
        given = await self._services().rooms.submit(room_id, command)
        return {"room_id": given.room_id, "seq": given.seq, "escalated": given.escalated}

    async def on_typing(self, sid: str, principal: Principal, data: Any) -> dict[str, Any]:
        payload = _parse(Typing, data)
        session = await self._room_for(principal, payload.room_id, Action.READ)
        if session.status == "closed":
            raise Conflict(f"room {session.room_id} is closed", "room_closed")
        if payload.room_id not in self.rooms(sid):
            raise Forbidden("join the room before typing in it", "not_in_room")
        event = {
            "room_id": payload.room_id,
            "sender_type": principal.role.value,
            "sender_id": principal.id,
            "is_typing": payload.is_typing,
        }
        await self._services().notifier.typing(event, skip_sid=sid)
        return {}

    def _checked_text(self, text: str) -> str:
        limit = self._services().settings.message_max_chars
        text = text.strip()
        if not text or is_invisible(text):
            raise InvalidInput("the message is empty (or shows nothing)", "empty_message")
        if len(text) > limit:
            raise InvalidInput(f"messages are limited to {limit} characters", "message_too_long")
        return text

    async def _enter(self, sid: str, principal: Principal, room_id: str) -> None:
        """Into the chat room, and for agents and the admin its staff room (private notes)."""
        await self.enter_room(sid, room_id)
        if principal.is_staff:
            await self.enter_room(sid, staff_room(room_id))

    async def _room(self, room_id: str) -> SessionRecord:
        try:
            return await self._services().store.session_by_room(room_id)
        except NotFound:
            raise NotFound(f"no room {room_id!r}", "room_not_found") from None

    async def _room_for(self, principal: Principal, room_id: str, action: Action) -> SessionRecord:
        """The room, if `principal` may do `action` in it (the one rule: `Principal.may`)."""
        if not principal.may_address(room_id=room_id):
            raise principal.refusal(action)
        return principal.ensure(action, await self._room(room_id))


def _parse(model: type[P], data: Any) -> P:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_input(error) from None


def _check_claimed_identity(
    principal: Principal, user_type: str | None, user_id: str | None
) -> None:
    """The optional user_type/user_id of a payload must match the token's owner."""
    if user_type is not None and user_type != principal.role.value:
        raise Forbidden(f"this token belongs to a {principal.role.value}, not a {user_type}")
    if user_id is not None and user_id != principal.id:
        raise Forbidden("user_id does not match this token", "identity_mismatch")


def _state_ack(change: StateChange | None) -> dict[str, Any]:
    if change is None:
        return {}
    return {
        "room_id": change.room_id,
        "state": str(change.state),
        "previous": str(change.previous),
        "agent_id": change.agent_id,
    }
