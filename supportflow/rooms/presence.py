"""`AgentPresence`: an agent who vanishes does not keep customers waiting.

The wire reports each agent socket that opens or closes. When an agent's last socket goes,
a grace timer starts; if no socket of theirs returns in time, each room they hold is sent
`AgentLost` (back to the queue, re-alerted). After a restart, agents holding rooms get the
same grace to reconnect. It knows counts and timers only, nothing of Socket.IO.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

from supportflow.rooms.commands import AgentLost
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import RoomState, Store

log = logging.getLogger(__name__)


class AgentPresence:
    def __init__(self, store: Store, rooms: RoomRegistry, grace_seconds: float) -> None:
        self._store = store
        self._rooms = rooms
        self._grace_seconds = grace_seconds
        self._sockets: Counter[str] = Counter()
        self._grace_timers: dict[str, asyncio.Task[None]] = {}

    def connected(self, agent_id: str) -> None:
        """One more socket of `agent_id` is open: any grace timer of theirs stops."""
        self._sockets[agent_id] += 1
        timer = self._grace_timers.pop(agent_id, None)
        if timer is not None:
            timer.cancel()

    def disconnected(self, agent_id: str) -> None:
        """One socket of `agent_id` closed; the grace timer starts with their last."""
        self._sockets[agent_id] -= 1
        if self._sockets[agent_id] <= 0:
            del self._sockets[agent_id]
            self._start_grace_timer(agent_id)

    async def watch_absent_agents(self) -> None:
        """After a restart, agents holding rooms get the same grace to reconnect."""
        holders = {s.agent_id for s in await self._store.rooms_in_state(RoomState.AGENT_ASSIGNED)}
        for agent_id in holders - set(self._sockets):
            if agent_id is not None:
                self._start_grace_timer(agent_id)

    async def close(self) -> None:
        """Stop every grace timer (shutdown: the restart gives absent agents a new grace)."""
        for timer in self._grace_timers.values():
            timer.cancel()
        await asyncio.gather(*self._grace_timers.values(), return_exceptions=True)
        self._grace_timers.clear()

    def _start_grace_timer(self, agent_id: str) -> None:
        if agent_id in self._grace_timers:
            return
        task = asyncio.create_task(self._requeue_after_grace(agent_id), name=f"grace:{agent_id}")
        self._grace_timers[agent_id] = task
        task.add_done_callback(lambda done: self._forget_timer(agent_id, done))

    def _forget_timer(self, agent_id: str, timer: asyncio.Task[None]) -> None:
        # Only this timer: a cancelled one's callback runs late, maybe after a new one started.
        if self._grace_timers.get(agent_id) is timer:
            del self._grace_timers[agent_id]

    async def _requeue_after_grace(self, agent_id: str) -> None:
        await asyncio.sleep(self._grace_seconds)
        if agent_id in self._sockets:
            return
        for room in await self._store.rooms_held_by(agent_id):
            log.info("agent lost", extra={"agent_id": agent_id, "room_id": room.room_id})
            try:
                await self._rooms.submit(room.room_id, AgentLost(agent_id))
            except Exception:
                log.exception("requeue failed", extra={"room_id": room.room_id})
