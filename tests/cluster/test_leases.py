"""Room leases on a real Redis: one holder, renewal, expiry, release, growing fences."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from supportflow.cluster.leased_placement import RoomLease
from supportflow.cluster.leases import Held, Lease, Leases
from tests.services import RedisNamespace

TTL = 0.4


@pytest.fixture(name="redis")
async def fixture_redis(redis_namespace: RedisNamespace) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_namespace.url)
    yield client
    await client.aclose()


def leases_for(redis: Redis, namespace: RedisNamespace, node: str) -> Leases:
    return Leases(redis, namespace.prefix.rstrip(":"), node, TTL)


async def test_one_holder_at_a_time_and_each_win_has_a_larger_fence(
    redis: Redis, redis_namespace: RedisNamespace
) -> None:
    a = leases_for(redis, redis_namespace, "node-a")
    b = leases_for(redis, redis_namespace, "node-b")
    first = await a.acquire("room:r1")
    assert isinstance(first, Lease)
    assert await b.acquire("room:r1") == Held("node-a")
    assert await b.holder("room:r1") == "node-a"
    assert await a.release(first)
    second = await b.acquire("room:r1")
    assert isinstance(second, Lease) and second.fence > first.fence
    # Another room's fences are its own: a fresh counter, not r1's.
    assert isinstance(await a.acquire("room:r2"), Lease)


async def test_an_unrenewed_lease_expires_and_a_renewed_one_does_not(
    redis: Redis, redis_namespace: RedisNamespace
) -> None:
    a = leases_for(redis, redis_namespace, "node-a")
    b = leases_for(redis, redis_namespace, "node-b")
    kept = await a.acquire("room:kept")
    dropped = await a.acquire("room:dropped")
    assert isinstance(kept, Lease) and isinstance(dropped, Lease)
    for _ in range(4):
        await asyncio.sleep(TTL / 2)
        assert await a.renew(kept)
    assert await b.holder("room:kept") == "node-a"
    assert await b.holder("room:dropped") is None
    taken = await b.acquire("room:dropped")
    assert isinstance(taken, Lease) and taken.fence > dropped.fence
    # The old holder can neither renew nor release what is now someone else's.
    assert not await a.renew(dropped)
    assert not await a.release(dropped)
    assert await b.holder("room:dropped") == "node-b"


async def test_a_late_release_does_not_drop_the_same_nodes_newer_lease(
    redis: Redis, redis_namespace: RedisNamespace
) -> None:
    a = leases_for(redis, redis_namespace, "node-a")
    old = await a.acquire("room:r")
    again = await a.acquire("room:r")  # the node takes the room back before releasing
    assert isinstance(old, Lease) and isinstance(again, Lease)
    assert again.fence > old.fence
    assert not await a.release(old)
    assert await a.holder("room:r") == "node-a"


async def test_a_lost_lease_stops_its_watcher(
    redis: Redis, redis_namespace: RedisNamespace
) -> None:
    a = leases_for(redis, redis_namespace, "node-a")
    won = await a.acquire("room:watched")
    assert isinstance(won, Lease)
    hold = RoomLease(a, won)
    lost = asyncio.Event()
    hold.watch(lost.set)
    await asyncio.sleep(TTL * 2)
    assert not lost.is_set()  # renewed while watched
    # Someone deletes it (as an expiry during a long pause would): the next renewal notices.
    await redis.delete(f"{redis_namespace.prefix.rstrip(':')}:lease:room:watched")
    await asyncio.wait_for(lost.wait(), TTL * 2)
    await hold.release()
