"""Stored units by id, so a nearest-neighbour query asks Chroma for ids and distances only.

Profiling 50 concurrent rooms showed Chroma spending two thirds of a batched query on
reading back documents and metadata; the units themselves change only when this process
writes them. Every write bumps the generation, and a read that began before a write never
fills the cache, so a stale unit cannot outlive the write that replaced it. With a Chroma
server other processes write too: their writes reach this cache through
`PassageStore.forget_cached_units`, called when the write token moved (freshness.py), so a
unit re-ingested elsewhere may be served as it was for one check interval at most.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from supportflow.knowledge.documents import Passage


class UnitCache:
    """Units by id, filled by reads and emptied by every write (thread-safe)."""

    def __init__(self) -> None:
        self._units: dict[str, Passage] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def lookup(self, ids: Sequence[str]) -> tuple[dict[str, Passage], list[str], int]:
        """(known units, missing ids, the generation to hand back to `fill`)."""
        with self._lock:
            known = {i: self._units[i] for i in ids if i in self._units}
            return known, [i for i in ids if i not in known], self._generation

    def fill(self, units: dict[str, Passage], generation: int) -> None:
        """Keep `units`, read at `generation`, unless a write came since."""
        with self._lock:
            if generation == self._generation:
                self._units.update(units)

    def invalidate(self) -> None:
        """Forget every unit: a write happened (here or, with a server, elsewhere)."""
        with self._lock:
            self._units.clear()
            self._generation += 1
