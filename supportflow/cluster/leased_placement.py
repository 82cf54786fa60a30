"""`LeasedPlacement`: rooms placed on nodes by Redis leases, commands forwarded to them.

A node runs a room's actor only while it holds the room's lease (`room:<id>`); the lease's
fence goes into every write of the room. The lease is renewed every third of its TTL while
the actor lives; a renewal that finds the lease gone (or Redis unreachable for longer than
the lease could still be valid) stops the actor at once. The actor's stop releases it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisError

from supportflow.cluster.forwarding import CommandBus
from supportflow.cluster.leases import Held, Lease, Leases
from supportflow.errors import Unavailable
from supportflow.rooms.commands import Command
from supportflow.rooms.placement import Elsewhere, RoomHold

log = logging.getLogger(__name__)

R = TypeVar("R")


def cluster_unavailable(error: BaseException) -> Unavailable:
    return Unavailable(
        f"the cluster's Redis is unreachable ({type(error).__name__}), try again",
        "cluster_unavailable",
    )


class RoomLease:
    """A `RoomHold` backed by a lease: renewed while watched, released once."""

    def __init__(self, leases: Leases, lease: Lease) -> None:
        self._leases = leases
        self._lease = lease
        self._renewing: asyncio.Task[None] | None = None

    @property
    def fence(self) -> int | None:
        return self._lease.fence

    def watch(self, on_lost: Callable[[], None]) -> None:
        self._renewing = asyncio.create_task(self._renew(on_lost), name=f"lease:{self._lease.name}")

    async def release(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            await asyncio.gather(self._renewing, return_exceptions=True)
        try:
            await self._leases.release(self._lease)
        except RedisError as error:
            # It expires by itself within its TTL; until then the room waits.
            log.warning(
                "lease release failed", extra={"lease": self._lease.name, "error": repr(error)}
            )

    async def _renew(self, on_lost: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        ttl = self._leases.ttl_ms / 1000
        # Renewed at the latest at `valid_until`, minus a margin for the call itself.
        valid_until = loop.time() + ttl
        while True:
            await asyncio.sleep(ttl / 3)
            started = loop.time()
            try:
                still_ours = await asyncio.wait_for(self._leases.renew(self._lease), ttl / 3)
            except (RedisError, OSError, TimeoutError) as error:
                if loop.time() < valid_until - ttl / 3:
                    continue  # still safely ours: try again
                log.warning(
                    "lease renewal failed", extra={"lease": self._lease.name, "error": repr(error)}
                )
                on_lost()
                return
            if not still_ours:
                on_lost()
                return
            valid_until = started + ttl


class LeasedPlacement:
    """The cluster's `Placement`: leases decide where a room lives; the bus forwards."""

    def __init__(self, leases: Leases, bus: CommandBus) -> None:
        self._leases = leases
        self._bus = bus

    @property
    def retry_seconds(self) -> float:
        # A dead owner's lease expires within its TTL; leave room for the next take-over.
        return 2 * self._leases.ttl_ms / 1000 + 1.0

    async def hold(self, room_id: str) -> RoomHold:
        try:
            won = await self._leases.acquire(f"room:{room_id}")
        except RedisError as error:
            raise cluster_unavailable(error) from error
        if isinstance(won, Held):
            raise Elsewhere(won.node_id)
        return RoomLease(self._leases, won)

    async def forward(self, node_id: str, room_id: str, command: Command[R]) -> R:
        try:
            return await self._bus.forward(node_id, room_id, command)
        except RedisError as error:
            raise cluster_unavailable(error) from error
