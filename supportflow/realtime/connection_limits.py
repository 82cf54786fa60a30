"""Per-connection limits on the Socket.IO wire: an event rate, and connections per token.

Both are counted in each process, so a client whose connections land on N processes (serve
--workers N, cluster nodes) gets up to N times the allowance (docs/reliability.md).
"""

from __future__ import annotations

from collections import Counter

from supportflow.errors import RateLimited
from supportflow.token_buckets import KeyedBuckets


class EventRateLimit:
    """One bucket per connection (sid); events beyond it are refused with `rate_limited`."""

    def __init__(self, rate: float, burst: int) -> None:
        self._buckets = KeyedBuckets(rate, burst)

    def check(self, sid: str) -> None:
        if not self._buckets.take(sid):
            raise RateLimited(
                f"too many events: at most {self._buckets.rate:g} a second"
                f" (bursts of {self._buckets.burst})"
            )

    def forget(self, sid: str) -> None:
        self._buckets.forget(sid)


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
