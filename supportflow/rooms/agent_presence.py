"""`AgentPresence`: an agent who vanishes does not keep customers waiting.

The wire reports each agent socket that opens or closes. When an agent's last socket goes,
a grace timer starts; if no socket of theirs returns in time, each room they hold is sent
`AgentLost` (back to the queue, re-alerted). After a restart, agents holding rooms get the
same grace to reconnect. It knows counts and timers only, nothing of Socket.IO.

The counts are `SocketCounts`: in one process a Counter; in a cluster, per node in Redis
(`supportflow.cluster.redis_socket_counts`), so an agent whose sockets moved to another
node is still present, and their last socket anywhere starts the timer. Two nodes may both
time out the same agent (each saw the last socket go); `AgentLost` acts once anyway: the
room's one actor re-queues it the first time and finds nothing to do the second.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Protocol

from supportflow.errors import Conflict
from supportflow.rooms.commands import AgentLost
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import RoomState, Store

log = logging.getLogger(__name__)


class SocketCounts(Protocol):
    """Open sockets per agent."""

    async def add(self, agent_id: str, delta: int) -> None:
        """One socket more (1) or fewer (-1) on this node."""

    async def total(self, agent_id: str) -> int:
        """The agent's open sockets, on every live node."""


class LocalSocketCounts:
    """One process: every socket is here."""

    def __init__(self) -> None:
        self._sockets: Counter[str] = Counter()

    async def add(self, agent_id: str, delta: int) -> None:
        self._sockets[agent_id] += delta
        if self._sockets[agent_id] <= 0:
            del self._sockets[agent_id]

    async def total(self, agent_id: str) -> int:
        return self._sockets[agent_id]


class AgentPresence:
    def __init__(
        self,
        store: Store,
        rooms: RoomRegistry,
        grace_seconds: float,
        counts: SocketCounts | None = None,
    ) -> None:
        self._store = store
        self._rooms = rooms
        self._grace_seconds = grace_seconds
        self._counts: SocketCounts = counts or LocalSocketCounts()
        self._grace_timers: dict[str, asyncio.Task[None]] = {}

    async def connected(self, agent_id: str) -> None:
        """One more socket of `agent_id` is open: any grace timer of theirs stops."""
        timer = self._grace_timers.pop(agent_id, None)
        if timer is not None:
            timer.cancel()
        await self._counts.add(agent_id, 1)

    async def ensure_connected(self, agent_id: str) -> None:
        """Conflict `agent_offline` unless `agent_id` has an open socket (on any node)."""
        if await self._counts.total(agent_id) <= 0:
            raise Conflict(f"agent {agent_id!r} is not connected", "agent_offline")

    async def disconnected(self, agent_id: str) -> None:
        """One socket of `agent_id` closed; the grace timer starts with their last."""
        await self._counts.add(agent_id, -1)
        if await self._counts.total(agent_id) <= 0:
            self._start_grace_timer(agent_id)

    async def watch_absent_agents(self) -> None:
        """Agents holding rooms with no socket open get the grace to reconnect.

        At start-up (a restart), then every so often (on the leader, in a cluster): an
        agent whose node died never disconnected anywhere, and one handed a room just as
        its last socket closed never will.
        """
        holders = {s.agent_id for s in await self._store.rooms_in_state(RoomState.AGENT_ASSIGNED)}
        for agent_id in holders:
            if agent_id is not None and await self._counts.total(agent_id) <= 0:
                self._start_grace_timer(agent_id)

    async def watch_absent_agents_forever(self, interval_seconds: float) -> None:
        """`watch_absent_agents` every `interval_seconds` (cancel the task to stop)."""
        while True:
            try:
                await self.watch_absent_agents()
            except Exception:
                log.exception("absent-agent sweep failed")
            await asyncio.sleep(interval_seconds)

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
        if await self._counts.total(agent_id) > 0:
            return  # back, maybe on another node
        for room in await self._store.rooms_held_by(agent_id):
            log.info("agent lost", extra={"agent_id": agent_id, "room_id": room.room_id})
            try:
                await self._rooms.submit(room.room_id, AgentLost(agent_id))
            except Exception:
                log.exception("requeue failed", extra={"room_id": room.room_id})
