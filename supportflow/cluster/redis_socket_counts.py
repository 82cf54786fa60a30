"""`RedisSocketCounts`: each agent's open sockets, per node, counted in Redis.

One hash per agent (`presence:<agent id>`: node id -> sockets on that node). A node that
dies never decrements, so only the fields of live nodes count: each node keeps an
`alive:<node id>` key with a short expiry fresh (`heartbeat`), and a field whose node's
key has expired is ignored (and deleted). Redis unreachable: counting is skipped with a
warning, and an agent counts as present, so nobody is re-queued on missing information.
"""

from __future__ import annotations

import asyncio
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class RedisSocketCounts:
    def __init__(self, redis: Redis, prefix: str, node_id: str, alive_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self.node_id = node_id
        self._alive_ms = max(1, round(alive_seconds * 1000))

    async def add(self, agent_id: str, delta: int) -> None:
        try:
            await self._redis.hincrby(self._key(agent_id), self.node_id, delta)
        except RedisError as error:
            log.warning("presence not counted", extra={"agent_id": agent_id, "error": repr(error)})

    async def total(self, agent_id: str) -> int:
        try:
            counts = await self._redis.hgetall(self._key(agent_id))
            if not counts:
                return 0
            nodes = [_text(node) for node in counts]
            alive = await self._redis.mget([self._alive(node) for node in nodes])
            dead = [node for node, flag in zip(nodes, alive, strict=True) if flag is None]
            if dead:
                await self._redis.hdel(self._key(agent_id), *dead)
            return sum(
                max(0, int(count)) for node, count in counts.items() if _text(node) not in dead
            )
        except RedisError as error:
            log.warning("presence unknown", extra={"agent_id": agent_id, "error": repr(error)})
            return 1

    async def beat(self) -> None:
        """Say this node is alive for the next `alive_seconds`."""
        await self._redis.set(self._alive(self.node_id), "1", px=self._alive_ms)

    async def heartbeat(self) -> None:
        """`beat` three times per `alive_seconds`, forever (cancel the task to stop)."""
        while True:
            try:
                await self.beat()
            except RedisError as error:
                log.warning("node heartbeat failed", extra={"error": repr(error)})
            await asyncio.sleep(self._alive_ms / 3000)

    async def leave(self) -> None:
        """This node stops: its counts stop counting at once."""
        try:
            await self._redis.delete(self._alive(self.node_id))
        except RedisError as error:
            log.warning("node leave failed", extra={"error": repr(error)})

    def _key(self, agent_id: str) -> str:
        return f"{self._prefix}:presence:{agent_id}"

    def _alive(self, node_id: str) -> str:
        return f"{self._prefix}:alive:{node_id}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
