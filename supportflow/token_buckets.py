"""Token buckets: how supportflow bounds what one client may cost.

One bucket per connection for Socket.IO events (`realtime/connection_limits.py`), one per client
address and route group for the open and costly REST routes, and one per client address
for failed sign-ins. All live in the process, like the rooms.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Above this many tracked keys, buckets that have refilled completely (idle clients) are
# forgotten, so a scan from many addresses cannot grow memory without bound.
_PRUNE_ABOVE = 10_000


class TokenBucket:
    """`rate` events a second on average, up to `burst` at once."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._tokens = float(burst)
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def take(self) -> bool:
        """Spend one token if there is one; False when the caller must wait."""
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def has_one(self) -> bool:
        """Whether `take()` would succeed now, without spending anything."""
        self._refill()
        return self._tokens >= 1

    @property
    def full(self) -> bool:
        self._refill()
        return self._tokens >= self._burst


class KeyedBuckets:
    """A `TokenBucket` per key (a client address, a connection): `rate` events a second on
    average, up to `burst` at once. Idle keys are pruned, so many keys cannot grow memory
    without bound."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}

    @classmethod
    def every_minute(cls, events: int, clock: Callable[[], float] = time.monotonic) -> KeyedBuckets:
        """`events` a minute, in bursts of as many."""
        return cls(events / 60.0, events, clock)

    @property
    def per_minute(self) -> float:
        return self.rate * 60.0

    def _bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _PRUNE_ABOVE:
                self._buckets = {k: b for k, b in self._buckets.items() if not b.full}
            bucket = TokenBucket(self.rate, self.burst, self._clock)
            self._buckets[key] = bucket
        return bucket

    def take(self, key: str) -> bool:
        return self._bucket(key).take()

    def has_one(self, key: str) -> bool:
        return self._bucket(key).has_one()

    def forget(self, key: str) -> None:
        self._buckets.pop(key, None)

    def __len__(self) -> int:
        return len(self._buckets)
