"""`RoomRegistry`: finds or spawns the actor of a room, and retires idle ones.

Actors exist only while rooms are busy: one is spawned (rehydrated from the store) on a
room's first command, stops by itself after `idle_seconds` without mail, and the least
recently used idle actors are stopped early when more than `max_live` are running. So
10,000 quiet rooms cost rows in SQLite, not 10,000 tasks. On shutdown every mailbox is
drained: accepted commands finish, new ones are refused, and whatever is still running after
`drain_seconds` is abandoned so the process exits within a known bound.

In a cluster the registry asks its `Placement` before spawning: a room held by another
node has its commands forwarded there; a room this node holds carries the hold's fence into
every write, and its actor stops the moment the hold is lost (`rooms.placement`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TypeVar

from supportflow.errors import Unavailable
from supportflow.rooms.actor import ActorStopped, RoomActor
from supportflow.rooms.commands import Command
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.placement import Elsewhere, LocalPlacement, OwnerGone, Placement

log = logging.getLogger(__name__)

R = TypeVar("R")


class RoomRegistry:
    def __init__(
        self,
        effects: RoomEffects,
        idle_seconds: float,
        max_live: int,
        drain_seconds: float = 10.0,
        placement: Placement | None = None,
    ) -> None:
        self.effects = effects
        self.placement: Placement = placement or LocalPlacement()
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
        """Run `command` in `room_id`'s actor, wherever it lives, and return its result (or
        raise its error)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.placement.retry_seconds
        pause = 0.05
        for _ in range(200):
            try:
                return await self._submit_here_once(room_id, command)
            except ActorStopped:
                continue  # it retired (or lost its hold) between lookup and submit
            except Elsewhere as there:
                try:
                    return await self.placement.forward(there.node_id, room_id, command)
                except (OwnerGone, Elsewhere) as gone:
                    if loop.time() >= deadline:
                        raise Unavailable(
                            "the room's node is gone and its lease has not expired yet, try again",
                            "cluster_unavailable",
                        ) from gone
            # The owner moved or died: wait for its lease to come free, then take it.
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        raise Unavailable("the room is restarting, try again", "room_unavailable")

    async def submit_here(self, room_id: str, command: Command[R]) -> R:
        """Like `submit`, but never forwards: `Elsewhere` when another node holds the room.

        For commands forwarded to this node: the sender asks the new owner itself.
        """
        for _ in range(3):
            try:
                return await self._submit_here_once(room_id, command)
            except ActorStopped:
                continue
        raise Unavailable("the room is restarting, try again", "room_unavailable")

    async def _submit_here_once(self, room_id: str, command: Command[R]) -> R:
        actor = await self._actor(room_id)
        return await actor.submit(command)

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
        # Holds are released as actors stop; let those finish while Redis is still open.
        await asyncio.gather(*self._retiring, return_exceptions=True)
        log.info("rooms drained", extra={"actors": len(actors), "abandoned": len(late)})

    async def _actor(self, room_id: str) -> RoomActor:
        if self._closing:
            raise Unavailable("the server is shutting down", "shutting_down")
        while (actor := self._actors.get(room_id)) is not None:
            if actor.accepting:
                return actor
            # Stopping (idle, or its hold lost): once it is gone, spawn afresh.
            await actor.wait_stopped()
        pending = self._spawning.get(room_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[RoomActor] = asyncio.get_running_loop().create_future()
        self._spawning[room_id] = future
        try:
            actor = await self._spawn(room_id)
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

    async def _spawn(self, room_id: str) -> RoomActor:
        # Hold first, read after: the state read is then the latest any holder wrote.
        hold = await self.placement.hold(room_id)
        try:
            session = await self.effects.take_room(room_id, hold.fence)
            actor = RoomActor(session, self.effects.fenced(hold.fence), hold)
        except BaseException:
            await hold.release()
            raise
        self._actors[room_id] = actor
        actor.start(self._forget, self._idle_seconds)
        return actor

    def _forget(self, actor: RoomActor) -> None:
        if self._actors.get(actor.room_id) is actor:
            del self._actors[actor.room_id]
        # After the actor's last write: only then may another node take the room.
        task = asyncio.create_task(actor.hold.release(), name=f"release:{actor.room_id}")
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

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
