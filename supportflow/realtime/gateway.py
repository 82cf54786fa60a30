"""`SocketGateway`: rooms' announcements on Socket.IO, and who is connected.

Socket.IO rooms used: one per chat room (its customer and agents), `agents` (every agent
socket, for queue updates), `agents:available` (alerts go there) and `agent:<id>` (the
sockets of one agent, so availability changes can move them).

It also keeps agents' presence: when an agent's last socket goes, a grace timer starts;
if no socket of theirs returns in time, each room they hold is sent `AgentLost`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import socketio

from supportflow.realtime.payloads import alert_event, message_event
from supportflow.rooms.commands import AgentLost
from supportflow.rooms.notifier import EscalationAlert
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import MessageRecord, RoomState, Store

log = logging.getLogger(__name__)

NAMESPACE = "/"
AGENTS = "agents"
AVAILABLE_AGENTS = "agents:available"


def agent_room(agent_id: str) -> str:
    return f"agent:{agent_id}"


def staff_room(room_id: str) -> str:
    """The agent and admin sockets of one chat room: private notes go there, not to it."""
    return f"staff:{room_id}"


class SocketGateway:
    def __init__(self, sio: socketio.AsyncServer, store: Store, grace_seconds: float) -> None:
        self._sio = sio
        self._store = store
        self._grace_seconds = grace_seconds
        self._registry: RoomRegistry | None = None
        self._agent_sockets: Counter[str] = Counter()
        self._grace_timers: dict[str, asyncio.Task[None]] = {}

    def attach(self, registry: RoomRegistry) -> None:
        self._registry = registry

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

    async def escalation_alert(self, alert: EscalationAlert) -> None:
        await self._sio.emit("escalation_alert", alert_event(alert), to=AVAILABLE_AGENTS)

    async def escalation_claimed(self, room_id: str, agent_id: str) -> None:
        event = {"room_id": room_id, "agent_id": agent_id}
        await self._sio.emit("escalation_claimed", event, to=AGENTS)

    async def agent_joined(self, room_id: str, agent_id: str, name: str) -> None:
        event = {"room_id": room_id, "agent_id": agent_id, "name": name}
        await self._sio.emit("agent_joined", event, to=room_id)

    # Agents' presence and availability

    async def agent_connected(self, sid: str, agent_id: str, is_available: bool) -> None:
        await self._sio.enter_room(sid, AGENTS)
        await self._sio.enter_room(sid, agent_room(agent_id))
        if is_available:
            await self._sio.enter_room(sid, AVAILABLE_AGENTS)
        self._agent_sockets[agent_id] += 1
        timer = self._grace_timers.pop(agent_id, None)
        if timer is not None:
            timer.cancel()

    def agent_disconnected(self, agent_id: str) -> None:
        self._agent_sockets[agent_id] -= 1
        if self._agent_sockets[agent_id] <= 0:
            del self._agent_sockets[agent_id]
            self._start_grace_timer(agent_id)

    async def set_agent_available(self, agent_id: str, is_available: bool) -> None:
        """Move the agent's sockets in or out of the alert room."""
        for sid, _ in list(self._sio.manager.get_participants(NAMESPACE, agent_room(agent_id))):
            if is_available:
                await self._sio.enter_room(sid, AVAILABLE_AGENTS)
            else:
                await self._sio.leave_room(sid, AVAILABLE_AGENTS)

    async def remove_agent_from_room(self, agent_id: str, room_id: str) -> None:
        """Take every socket of an agent out of a room it no longer holds."""
        for sid, _ in list(self._sio.manager.get_participants(NAMESPACE, agent_room(agent_id))):
            await self._sio.leave_room(sid, room_id)
            await self._sio.leave_room(sid, staff_room(room_id))

    async def disconnect_agent(self, agent_id: str) -> None:
        """Drop every open socket of an agent (its token was rotated: the old one is dead)."""
        for sid, _ in list(self._sio.manager.get_participants(NAMESPACE, agent_room(agent_id))):
            await self._sio.disconnect(sid)

    async def watch_absent_agents(self) -> None:
        """After a restart, agents holding rooms get the same grace to reconnect."""
        holders = {s.agent_id for s in await self._store.rooms_in_state(RoomState.AGENT_ASSIGNED)}
        for agent_id in holders - set(self._agent_sockets):
            if agent_id is not None:
                self._start_grace_timer(agent_id)

    async def close(self) -> None:
        for timer in self._grace_timers.values():
            timer.cancel()
        await asyncio.gather(*self._grace_timers.values(), return_exceptions=True)
        self._grace_timers.clear()

    def _start_grace_timer(self, agent_id: str) -> None:
        if agent_id in self._grace_timers:
            return
        task = asyncio.create_task(self._requeue_after_grace(agent_id), name=f"grace:{agent_id}")
        self._grace_timers[agent_id] = task
        task.add_done_callback(lambda _: self._grace_timers.pop(agent_id, None))

    async def _requeue_after_grace(self, agent_id: str) -> None:
        await asyncio.sleep(self._grace_seconds)
        if self._registry is None or agent_id in self._agent_sockets:
            return
        for room in await self._store.rooms_held_by(agent_id):
            log.info("agent lost", extra={"agent_id": agent_id, "room_id": room.room_id})
            try:
                await self._registry.submit(room.room_id, AgentLost(agent_id))
            except Exception:
                log.exception("requeue failed", extra={"room_id": room.room_id})
