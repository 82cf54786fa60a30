"""`Leases`: at most one holder per name in the cluster, each holding numbered by a fence.

A lease is a Redis key `SET NX PX` to the holder's node id: won by one node, renewed by its
holder only (compare-and-`PEXPIRE`), released by its holder only (compare-and-`DEL`), and
gone by itself when its holder stops renewing (dies, pauses, loses Redis) for its TTL. Each
win also takes the next number of a per-name counter (`INCR`, in the same script, so no two
wins share one): the fence. The store refuses a room write carrying a lower fence than the
room's last, so a holder that lost its lease without noticing (a long GC or VM pause) can
never write after the node that took over (`LeaseLost`).

Rooms use one lease each (`room:<id>`); the leader's singletons use `leader`.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

# The lease's value is "<node id> <fence>": renewals and releases compare all of it, so an
# old actor's late release cannot delete the same node's newer lease on the room.
# KEYS[1] lease, KEYS[2] fence counter; ARGV[1] node id, ARGV[2] ttl ms, ARGV[3] counter ttl.
# A missing counter (new room, idle for a week, or a Redis that lost its data) starts at
# the current time in milliseconds: above every fence handed out before (one per take-over),
# so the database never holds a fence higher than the next one Redis gives.
# Won when free, or when this node holds it already (its actor stopped, the release is on
# its way): a new fence either way, so the old actor's writes are refused from here on.
_ACQUIRE = """
local holder = redis.call('GET', KEYS[1])
if holder and string.sub(holder, 1, #ARGV[1] + 1) ~= ARGV[1] .. ' ' then return {0, holder} end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[2], now[1] * 1000 + math.floor(now[2] / 1000))
end
local fence = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. fence, 'PX', ARGV[2])
return {fence, ARGV[1]}
"""
# KEYS[1] lease; ARGV[1] "<node id> <fence>", ARGV[2] ttl ms.
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


_COUNTER_MS = 7 * 24 * 3600 * 1000


@dataclass(frozen=True)
class Lease:
    """A won lease: `fence` is larger than every earlier holding's of the same name."""

    name: str
    node_id: str
    fence: int

    @property
    def value(self) -> str:
        return f"{self.node_id} {self.fence}"


@dataclass(frozen=True)
class Held:
    """Someone holds the lease: `node_id` (which may be this node, for `holder`)."""

    node_id: str


class Leases:
    def __init__(self, redis: Redis, prefix: str, node_id: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self.node_id = node_id
        self.ttl_ms = max(1, round(ttl_seconds * 1000))
        self._acquire = redis.register_script(_ACQUIRE)
        self._renew = redis.register_script(_RENEW)
        self._release = redis.register_script(_RELEASE)

    async def acquire(self, name: str) -> Lease | Held:
        """Win `name` (a new fence), or learn who holds it."""
        won, holder = await self._acquire(
            keys=[self._key(name), self._key(f"fence:{name}")],
            args=[self.node_id, self.ttl_ms, _COUNTER_MS],
        )
        if int(won) == 0:
            return Held(_node(holder))
        return Lease(name, self.node_id, int(won))

    async def renew(self, lease: Lease) -> bool:
        """Extend `lease` by the TTL; False when it is no longer this node's."""
        renewed = await self._renew(keys=[self._key(lease.name)], args=[lease.value, self.ttl_ms])
        return bool(renewed)

    async def release(self, lease: Lease) -> bool:
        """Give `lease` up (only if still ours); False when it had already gone."""
        return bool(await self._release(keys=[self._key(lease.name)], args=[lease.value]))

    async def holder(self, name: str) -> str | None:
        """The node id holding `name`, or None when it is free."""
        found = await self._redis.get(self._key(name))
        return None if found is None else _node(found)

    def _key(self, name: str) -> str:
        return f"{self._prefix}:lease:{name}"


def _node(value: bytes | str) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    return text.rsplit(" ", 1)[0]
