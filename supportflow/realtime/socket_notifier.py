"""`SocketNotifier`: everything the server tells Socket.IO clients, and who hears it.

Every emit of supportflow goes through this one object (rooms' announcements, typing), and
so does every change of who listens where, so a deployment across several processes swaps
one transport here rather than hunting emits through the code.

Socket.IO rooms used: one per chat room (its customer and agents), `agents` (every agent
socket, for queue updates), `agents:available` (alerts go there) and `agent:<id>` (the
sockets of one agent: transfer alerts go there). Which sockets an agent has is never read
back from a channel (a client could leave it): the notifier keeps its own record of each
node's agent sockets, and moves or drops them from that.

Across nodes (`realtime.managers`): emits reach every node through the manager; the
membership changes that must look at sockets (`sync_readers`, moving or dropping an agent's
sockets) are node calls, each node applying them to the sockets it holds.
"""

from __future__ import annotations

from typing import Any

import socketio

from supportflow.auth import Principal
from supportflow.realtime.managers import NodeCalls
from supportflow.realtime.payloads import alert_event, message_event
from supportflow.rooms.effects import BOT_ID
from supportflow.rooms.room_notifier import EscalationAlert, TransferAlert
from supportflow.store import MessageRecord, RatingRecord, RoomState

NAMESPACE = "/"
AGENTS = "agents"
AVAILABLE_AGENTS = "agents:available"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


def staff_room(room_id: str) -> str:
    """The agent and admin sockets of one chat room: private notes go there, not to it."""
    return f"staff:{room_id}"


class SocketNotifier:
    """Implements `RoomNotifier` (and `services.Connections`) over one Socket.IO server."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self._sio = sio
        # This node's open sockets of each agent: the server's own bookkeeping.
        self._agent_sids: dict[str, set[str]] = {}
        self._nodes: NodeCalls = sio.manager
        self._nodes.register_node_call("sync_readers", self._sync_readers_here)
        self._nodes.register_node_call("enter_agent", self._enter_agent_here)
        self._nodes.register_node_call("set_available", self._set_available_here)
        self._nodes.register_node_call("disconnect_agent", self._disconnect_agent_here)

    # RoomNotifier

    async def message(self, message: MessageRecord) -> None:
        to = staff_room(message.room_id) if message.private else message.room_id
        await self._sio.emit("new_message", message_event(message), to=to)

    async def state_changed(
        self, room_id: str, state: RoomState, previous: RoomState, agent_id: str | None
    ) -> None:
        event = {
            "room_id": room_id,
            "state": state.value,
            "previous": previous.value,
            "agent_id": agent_id,
        }
        await self._sio.emit("room_state", event, to=[room_id, AGENTS])
        # Before anything else is announced: the next message must reach only readers.
        await self.sync_readers(room_id, state, agent_id)

    async def escalation_alert(self, alert: EscalationAlert) -> None:
        if alert.audience is None:
            await self._sio.emit("escalation_alert", alert_event(alert), to=AVAILABLE_AGENTS)
        elif alert.audience:
            # A team's available agents: their own rooms, which reach every node's sockets.
            to = [agent_room(agent_id) for agent_id in alert.audience]
            await self._sio.emit("escalation_alert", alert_event(alert), to=to)

    async def escalation_claimed(self, room_id: str, agent_id: str) -> None:
        event = {"room_id": room_id, "agent_id": agent_id}
        await self._sio.emit("escalation_claimed", event, to=AGENTS)

    async def agent_joined(self, room_id: str, agent_id: str, name: str) -> None:
        event = {"room_id": room_id, "agent_id": agent_id, "name": name}
        await self._sio.emit("agent_joined", event, to=room_id)

    async def bot_typing(self, room_id: str, is_typing: bool) -> None:
        event = {
            "room_id": room_id,
            "sender_type": "bot",
            "sender_id": BOT_ID,
            "is_typing": is_typing,
        }
        await self._sio.emit("typing", event, to=room_id)

    async def reply_delta(self, room_id: str, reply_id: str, text: str) -> None:
        event = {"room_id": room_id, "reply_id": reply_id, "text": text}
        await self._sio.emit("message_delta", event, to=room_id)

    async def room_transferred(self, alert: TransferAlert) -> None:
        # In the room first, so the receiving agent hears everything from here on.
        await self._nodes.everywhere("enter_agent", alert.to_agent_id, alert.room_id)
        event = {
            "room_id": alert.room_id,
            "session_id": alert.session_id,
            "user_id": alert.user_id,
            "from_agent_id": alert.from_agent_id,
            "from_name": alert.from_name,
        }
        await self._sio.emit("transfer_alert", event, to=agent_room(alert.to_agent_id))

    async def room_closed(self, room_id: str, previous: RoomState) -> None:
        pass  # `state_changed` told the room and the queues already

    async def chat_rated(self, rating: RatingRecord) -> None:
        pass  # the customer's `rate` ack says it; nobody else listens on a closed room

    # Events that are not room changes

    async def typing(self, event: dict[str, Any], skip_sid: str) -> None:
        """Someone is typing in `event["room_id"]`: to the room, but not back to them."""
        await self._sio.emit("typing", event, to=event["room_id"], skip_sid=skip_sid)

    # Who listens where

    async def agent_connected(self, sid: str, agent_id: str, is_available: bool) -> None:
        """Put a new agent socket where agents hear queue updates (and alerts, if available)."""
        self._agent_sids.setdefault(agent_id, set()).add(sid)
        await self._sio.enter_room(sid, AGENTS)
        await self._sio.enter_room(sid, agent_room(agent_id))
        if is_available:
            await self._sio.enter_room(sid, AVAILABLE_AGENTS)

    def agent_disconnected(self, sid: str, agent_id: str) -> None:
        """Forget a closed agent socket."""
        sids = self._agent_sids.get(agent_id, set())
        sids.discard(sid)
        if not sids:
            self._agent_sids.pop(agent_id, None)

    def connected_here(self, agent_id: str) -> bool:
        """Whether `agent_id` has an open socket on this node."""
        return bool(self._agent_sids.get(agent_id))

    async def set_agent_available(self, agent_id: str, is_available: bool) -> None:
        """Move the agent's sockets in or out of the alert room."""
        await self._nodes.everywhere("set_available", agent_id, is_available)

    async def _set_available_here(self, agent_id: str, is_available: bool) -> None:
        for sid in self._agent_sockets(agent_id):
            if is_available:
                await self._sio.enter_room(sid, AVAILABLE_AGENTS)
            else:
                await self._sio.leave_room(sid, AVAILABLE_AGENTS)

    async def sync_readers(self, room_id: str, state: RoomState, agent_id: str | None) -> None:
        """Make the room's channels hold exactly the sockets that may read it now.

        Every socket in the chat or staff channel that `Principal.may_read_room` no longer
        allows leaves (an agent whose queued room another claimed, that released it, lost
        it or was transferred away, or whose room closed), and the sockets of the agent
        holding the room enter. `state_changed` calls it on every state change; whoever
        changes who may read a room without one (a transfer between agents that is not a
        state change, say) must call it too, with the room's stored state and agent.
        """
        await self._nodes.everywhere("sync_readers", room_id, state.value, agent_id)

    async def _sync_readers_here(
        self, room_id: str, state_value: str, agent_id: str | None
    ) -> None:
        state = RoomState(state_value)
        for channel in (room_id, staff_room(room_id)):
            for sid, _ in list(self._sio.manager.get_participants(NAMESPACE, channel)):
                principal = await self._principal(sid)
                if principal is None or not principal.may_read_room(room_id, state, agent_id):
                    await self._sio.leave_room(sid, channel)
        if agent_id is not None and state is RoomState.AGENT_ASSIGNED:
            await self._enter_agent_here(agent_id, room_id)

    async def _enter_agent_here(self, agent_id: str, room_id: str) -> None:
        """This node's sockets of `agent_id` into the room and its staff channel."""
        for sid in self._agent_sockets(agent_id):
            await self._sio.enter_room(sid, room_id)
            await self._sio.enter_room(sid, staff_room(room_id))

    async def disconnect_agent(self, agent_id: str, code: str, message: str) -> None:
        """Drop every open socket of an agent (its token was rotated, or it was disabled),
        telling each why first (`disconnect_reason {code, message}`)."""
        await self._nodes.everywhere("disconnect_agent", agent_id, code, message)

    async def _disconnect_agent_here(self, agent_id: str, code: str, message: str) -> None:
        for sid in self._agent_sockets(agent_id):
            await self.drop(sid, code, message)

    async def drop(self, sid: str, code: str, message: str) -> None:
        """Disconnect one socket, telling it why first."""
        await self._sio.emit("disconnect_reason", {"code": code, "message": message}, to=sid)
        await self._sio.disconnect(sid)

    async def _principal(self, sid: str) -> Principal | None:
        try:
            session = await self._sio.get_session(sid, namespace=NAMESPACE)
        except KeyError:  # disconnected meanwhile
            return None
        found: Principal | None = session.get("principal")
        return found

    def _agent_sockets(self, agent_id: str) -> list[str]:
        """This node's sockets of `agent_id`, from the notifier's own record."""
        return sorted(self._agent_sids.get(agent_id, ()))
