"""Token buckets per key: the REST limits' and the Socket.IO event limit's, one kind."""

from __future__ import annotations

import pytest

from supportflow.errors import RateLimited
from supportflow.realtime.connection_limits import EventRateLimit
from supportflow.token_buckets import KeyedBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_burst_then_waits_for_the_rate() -> None:
    clock = Clock()
    buckets = KeyedBuckets(rate=2.0, burst=3, clock=clock)
    assert [buckets.take("a") for _ in range(4)] == [True, True, True, False]
    assert buckets.take("b")  # another key has its own bucket
    clock.now += 0.5
    assert buckets.take("a") and not buckets.take("a")


def test_idle_keys_are_pruned() -> None:
    clock = Clock()
    buckets = KeyedBuckets(rate=1.0, burst=1, clock=clock)
    for n in range(10_000):
        buckets.take(f"sid-{n}")
    clock.now += 1.0  # every bucket has refilled: all idle
    buckets.take("one-more")
    assert len(buckets) == 1


def test_every_minute_and_forget() -> None:
    buckets = KeyedBuckets.every_minute(30)
    assert (buckets.rate, buckets.burst, buckets.per_minute) == (0.5, 30, 30)
    assert buckets.take("a")
    buckets.forget("a")
    buckets.forget("never-seen")
    assert len(buckets) == 0


def test_the_event_limit_forgets_idle_connections() -> None:
    # It kept a bucket per sid forever when a disconnect was missed (no pruning).
    limit = EventRateLimit(rate=1e9, burst=2)  # refills at once: every bucket is idle
    for n in range(10_001):
        limit.check(f"sid-{n}")
    assert len(limit._buckets) < 10


def test_the_event_limit_refuses_past_the_burst() -> None:
    limit = EventRateLimit(rate=0.001, burst=2)
    limit.check("s")
    limit.check("s")
    with pytest.raises(RateLimited):
        limit.check("s")
    limit.forget("s")
    limit.check("s")  # a new connection on the same sid starts afresh
