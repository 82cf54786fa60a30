"""`ClusterNode`: this process as one node of a cluster sharing Redis.

It opens the Redis client and everything built on it: room leases and command forwarding
(`LeasedPlacement`), agent socket counts (`RedisSocketCounts`, with this node's heartbeat),
and leadership. The cluster-wide singletons (the unclaimed-room watch, the retention sweep,
the absent-agent sweep and the start-up recovery pass) run on one node at a time: the one
holding the `leader` lease. It is renewed like a room's; when it is lost (the leader paused
or lost Redis) the singletons stop, and whichever node wins it next starts them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from supportflow.cluster.forwarding import CommandBus
from supportflow.cluster.leased_placement import LeasedPlacement
from supportflow.cluster.leases import Lease, Leases
from supportflow.cluster.redis_socket_counts import RedisSocketCounts
from supportflow.rooms.commands import Command
from supportflow.settings import ClusterSettings

log = logging.getLogger(__name__)

Singleton = Callable[[], Awaitable[None]]
RunHere = Callable[[str, Command[Any]], Awaitable[Any]]


def generated_node_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:4]}"


class ClusterNode:
    def __init__(self, settings: ClusterSettings, redis: Redis) -> None:
        assert settings.redis_url is not None
        prefix = settings.redis_prefix
        self.node_id = settings.node_id or generated_node_id()
        self.redis = redis
        self.leases = Leases(redis, prefix, self.node_id, settings.room_lease_seconds)
        self.bus = CommandBus(
            redis,
            prefix,
            self.node_id,
            self._still_owner,
            check_seconds=settings.room_lease_seconds / 2,
            timeout_seconds=settings.forward_timeout_seconds,
        )
        self.placement = LeasedPlacement(self.leases, self.bus)
        self.counts = RedisSocketCounts(
            redis, prefix, self.node_id, alive_seconds=3 * settings.room_lease_seconds
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._leadership: asyncio.Task[None] | None = None
        self.is_leader = False

    @classmethod
    async def open(cls, settings: ClusterSettings) -> ClusterNode:
        """Connect to Redis (a clear error when it does not answer) and start beating."""
        assert settings.redis_url is not None
        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=2, socket_timeout=5)
        node = cls(settings, redis)
        try:
            await redis.ping()
        except (RedisError, OSError) as error:
            await redis.aclose()
            raise RuntimeError(f"SUPPORTFLOW_REDIS_URL does not answer: {error}") from error
        await node.counts.beat()
        node._spawn(node.counts.heartbeat(), "heartbeat")
        log.info("cluster node up", extra={"node_id": node.node_id})
        return node

    async def serve_forwarded(self, run_here: RunHere) -> None:
        """Take commands other nodes forward to rooms this node holds."""
        await self.bus.start(run_here)

    def lead(self, on_elected: Sequence[Singleton], singletons: Sequence[Singleton]) -> None:
        """Run `on_elected` once and `singletons` for as long as this node leads."""
        self._leadership = asyncio.create_task(
            self._campaign(on_elected, singletons), name="leadership"
        )

    async def stop_leading(self) -> None:
        """Stop campaigning; a lead held is given up (its singletons stopped first)."""
        if self._leadership is not None:
            self._leadership.cancel()
            await asyncio.gather(self._leadership, return_exceptions=True)

    async def ping(self) -> dict[str, Any]:
        """Health: whether Redis answers, and this node's name and role."""
        try:
            await self.redis.ping()
        except (RedisError, OSError) as error:
            return {"status": "error", "error": type(error).__name__, "node_id": self.node_id}
        return {"status": "ok", "node_id": self.node_id, "leader": self.is_leader}

    async def close(self) -> None:
        await self.stop_leading()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.bus.close()
        await self.counts.leave()
        await self.redis.aclose()

    async def _still_owner(self, room_id: str, node_id: str) -> bool:
        try:
            return await self.leases.holder(f"room:{room_id}") == node_id
        except RedisError:
            return True  # cannot tell: keep waiting, until the forward's own timeout

    def _spawn(self, work: Awaitable[None], name: str) -> None:
        async def run() -> None:
            await work

        self._tasks.append(asyncio.create_task(run(), name=name))

    async def _campaign(
        self, on_elected: Sequence[Singleton], singletons: Sequence[Singleton]
    ) -> None:
        pause = self.leases.ttl_ms / 3000
        while True:
            try:
                won = await self.leases.acquire("leader")
            except RedisError as error:
                log.warning("leader election failed", extra={"error": repr(error)})
                won = None
            if isinstance(won, Lease):
                await self._lead(won, on_elected, singletons)
            await asyncio.sleep(pause)

    async def _lead(
        self, lease: Lease, on_elected: Sequence[Singleton], singletons: Sequence[Singleton]
    ) -> None:
        log.info("leading the cluster", extra={"node_id": self.node_id, "fence": lease.fence})
        self.is_leader = True
        running = [asyncio.create_task(_guarded(job)) for job in (*on_elected, *singletons)]
        try:
            pause = self.leases.ttl_ms / 3000
            while True:
                await asyncio.sleep(pause)
                try:
                    if not await asyncio.wait_for(self.leases.renew(lease), pause):
                        break
                except (RedisError, TimeoutError) as error:
                    log.warning("leader renewal failed", extra={"error": repr(error)})
                    break
        finally:
            self.is_leader = False
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            with contextlib.suppress(RedisError):
                await self.leases.release(lease)
        log.warning("no longer leading", extra={"node_id": self.node_id})


async def _guarded(job: Singleton) -> None:
    try:
        await job()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("cluster singleton failed")
