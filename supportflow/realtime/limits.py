"""Per-connection limits on the Socket.IO wire: an event rate, and connections per token.

Both live in the process, like the rooms: a multi-process deployment would keep the
connection count in the shared client manager instead.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

from supportflow.errors import RateLimited


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

    def take(self) -> bool:
        """Spend one token if there is one; False when the caller must wait."""
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class EventRateLimit:
    """One bucket per connection (sid); events beyond it are refused with `rate_limited`."""

    def __init__(self, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = burst
        self._buckets: dict[str, TokenBucket] = {}

    def check(self, sid: str) -> None:
        bucket = self._buckets.get(sid)
        if bucket is None:
            bucket = self._buckets[sid] = TokenBucket(self._rate, self._burst)
        if not bucket.take():
            raise RateLimited(
                f"too many events: at most {self._rate:g} a second (bursts of {self._burst})"
            )

    def forget(self, sid: str) -> None:
        self._buckets.pop(sid, None)


class ConnectionCount:
    """Open connections per token digest, capped at `limit` (the next one is refused)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: Counter[str] = Counter()

    def acquire(self, key: str) -> bool:
        if self._open[key] >= self._limit:
            return False
        self._open[key] += 1
        return True

    def release(self, key: str) -> None:
        self._open[key] -= 1
        if self._open[key] <= 0:
            del self._open[key]

    @property
    def limit(self) -> int:
        return self._limit
