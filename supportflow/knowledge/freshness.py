"""Keeping one process's knowledge caches in step with writes made by other processes.

With a Chroma server, every supportflow node searches one shared collection, but each keeps
caches built from it: the BM25 index and the typo-repair vocabulary (retrieval.py), and the
unit cache (unit_cache.py). Each write stamps the collection's metadata with a fresh
random token (`PassageStore._stamp_write`); before a search, a node reads that token, in a
worker thread and at most once per interval, and drops its caches when it moved.

Why this and not Redis pub/sub: the token lives in the store it describes, so a node cannot
miss a change the way it misses a message sent while its Redis connection was down, and
the check needs nothing beyond the Chroma server every node already uses. Why a check per
interval and not per search: reading the token is one HTTP round trip (a few ms); once a
second it costs a busy node nothing measurable (docs/scaling.md), and a change made on
another node is searched at most one interval later.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

_NOT_READ = object()  # differs from every token, None (never written) included


class ChangeWatch:
    """Calls `on_change` when the write token read by `read_token` moved since last read.

    `check` is what a search awaits first. Concurrent searches share one read; a failed read
    (Chroma down) raises to the search and is retried by the next one.
    """

    def __init__(
        self,
        read_token: Callable[[], Awaitable[str | None]],
        on_change: Callable[[], None],
        interval_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._read_token = read_token
        self._on_change = on_change
        self._interval = interval_seconds
        self._clock = clock
        self._seen: object = _NOT_READ
        self._checked_at = -float("inf")
        self._lock = asyncio.Lock()
        self.reads = 0
        self.changes = 0

    def _due(self) -> bool:
        return self._clock() - self._checked_at >= self._interval

    async def check(self) -> bool:
        """Read the token if the interval has passed; True when the caches were dropped."""
        if not self._due():
            return False
        async with self._lock:
            if not self._due():  # another search read it while this one waited
                return False
            # Stamped with the time before the read: the next read is due at most one
            # interval after the moment this one saw the store.
            started = self._clock()
            token = await self._read_token()
            self.reads += 1
            self._checked_at = started
            if token == self._seen:
                return False
            self._seen = token
            self.changes += 1
            self._on_change()
            return True
