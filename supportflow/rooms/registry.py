"""`RoomRegistry`: finds or spawns the actor of a room, and retires idle ones.

Actors exist only while rooms are busy: one is spawned (rehydrated from the store) on a
room's first command, stops by itself after `idle_seconds` without mail, and the least
recently used idle actors are stopped early when more than `max_live` are running. So
10,000 quiet rooms cost rows in SQLite, not 10,000 tasks. On shutdown every mailbox is
drained: accepted commands finish, new ones are refused, and whatever is still running after
`drain_seconds` is abandoned so the process exits within a known bound.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from supportflow.errors import Unavailable
from supportflow.rooms.actor import ActorStopped, RoomActor
from supportflow.rooms.commands import Command
from supportflow.rooms.effects import RoomEffects

log = logging.getLogger(__name__)

R = TypeVar("R")


class RoomRegistry:
    def __init__(
        self,
        effects: RoomEffects,
        idle_seconds: float,
        max_live: int,
        drain_seconds: float = 10.0,
    ) -> None:
        self.effects = effects
        self._drain_seconds = drain_seconds
        self._idle_seconds = idle_seconds
        self._max_live = max_live
        self._actors: dict[str, RoomActor] = {}
        self._spawning: dict[str, asyncio.Future[RoomActor]] = {}
        self._closing = False
        self._retiring: set[asyncio.Task[None]] = set()

    @property
    def live_count(self) -> int:
        return len(self._actors)

    def live_states(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for actor in self._actors.values():
            counts[actor.state.value] = counts.get(actor.state.value, 0) + 1
        return counts

    async def submit(self, room_id: str, command: Command[R]) -> R:
        """Run `command` in `room_id`'s actor and return its result (or raise its error)."""
        for _ in range(3):
            actor = await self._actor(room_id)
            try:
                return await actor.submit(command)
            except ActorStopped:
                continue  # it retired between lookup and submit: spawn a fresh one
        raise Unavailable("the room is restarting, try again", "room_unavailable")

    async def drain(self) -> None:
        """Refuse new commands, let every accepted one finish, stop every actor.

        Rooms still busy after `drain_seconds` (a bot reply stuck on a slow LLM, say) are
        abandoned: the shutdown is bounded, and the restart tells their customers.
        """
        self._closing = True
        while self._spawning:
            await asyncio.gather(*self._spawning.values(), return_exceptions=True)
        actors = list(self._actors.values())
        stopping = [asyncio.ensure_future(actor.stop()) for actor in actors]
        late: set[asyncio.Future[None]] = set()
        if stopping:
            _, late = await asyncio.wait(stopping, timeout=self._drain_seconds)
        if late:
            stuck = [actor for actor in actors if not actor.stopped]
            log.warning("abandoning busy rooms at shutdown", extra={"rooms": len(stuck)})
            await asyncio.gather(*(actor.abandon() for actor in stuck))
            await asyncio.gather(*late, return_exceptions=True)
        log.info("rooms drained", extra={"actors": len(actors), "abandoned": len(late)})

    async def _actor(self, room_id: str) -> RoomActor:
        if self._closing:
            raise Unavailable("the server is shutting down", "shutting_down")
        actor = self._actors.get(room_id)
        if actor is not None:
            return actor
        pending = self._spawning.get(room_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[RoomActor] = asyncio.get_running_loop().create_future()
        self._spawning[room_id] = future
        try:
            session = await self.effects.store.session_by_room(room_id)
            actor = RoomActor(session, self.effects)
            self._actors[room_id] = actor
            actor.start(self._forget, self._idle_seconds)
            future.set_result(actor)
        except BaseException as error:
            future.set_exception(error)
            # Retrieve it so an unobserved spawn failure is not logged as never retrieved.
            future.exception()
            raise
        finally:
            del self._spawning[room_id]
        self._retire_excess()
        return actor

    def _forget(self, actor: RoomActor) -> None:
        if self._actors.get(actor.room_id) is actor:
            del self._actors[actor.room_id]

    def _retire_excess(self) -> None:
        excess = len(self._actors) - self._max_live
        if excess <= 0:
            return
        idle = sorted(
            (actor for actor in self._actors.values() if actor.idle), key=lambda a: a.last_used
        )
        for actor in idle[:excess]:
            task = asyncio.create_task(actor.stop(), name=f"retire:{actor.room_id}")
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
