"""ChangeWatch: when a node reads the write token, and what it does when the token moved."""

from __future__ import annotations

import asyncio

import pytest

from supportflow.errors import Unavailable
from supportflow.knowledge.freshness import ChangeWatch


class Tokens:
    """The collection's write token as a test sets it, counting reads."""

    def __init__(self) -> None:
        self.value: str | None = None
        self.reads = 0
        self.fail = False

    async def read(self) -> str | None:
        self.reads += 1
        await asyncio.sleep(0)  # a real read yields to the loop too
        if self.fail:
            raise Unavailable("chroma is down", "knowledge_unavailable")
        return self.value


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def watch_over(
    tokens: Tokens, clock: Clock, interval: float = 1.0
) -> tuple[ChangeWatch, list[int]]:
    dropped: list[int] = []
    watch = ChangeWatch(tokens.read, lambda: dropped.append(1), interval, clock)
    return watch, dropped


async def test_reads_at_most_once_per_interval_and_drops_caches_only_on_a_change() -> None:
    tokens, clock = Tokens(), Clock()
    watch, dropped = watch_over(tokens, clock)
    assert await watch.check() is True  # the first look: nothing was seen before
    tokens.value = "written-elsewhere"
    clock.now += 0.5
    assert await watch.check() is False and tokens.reads == 1  # within the interval: no read
    clock.now += 0.5
    assert await watch.check() is True and tokens.reads == 2
    clock.now += 1.0
    assert await watch.check() is False and tokens.reads == 3  # read, unchanged
    assert len(dropped) == 2 and watch.changes == 2


async def test_concurrent_searches_share_one_read() -> None:
    tokens, clock = Tokens(), Clock()
    watch, dropped = watch_over(tokens, clock)
    results = await asyncio.gather(*(watch.check() for _ in range(20)))
    assert tokens.reads == 1 and results.count(True) == 1 and len(dropped) == 1


async def test_an_interval_of_zero_reads_before_every_search() -> None:
    tokens, clock = Tokens(), Clock()
    watch, _ = watch_over(tokens, clock, interval=0)
    for _ in range(3):
        await watch.check()
    assert tokens.reads == 3


async def test_a_failed_read_raises_and_the_next_search_reads_again() -> None:
    tokens, clock = Tokens(), Clock()
    watch, dropped = watch_over(tokens, clock)
    await watch.check()
    tokens.fail = True
    clock.now += 1.0
    with pytest.raises(Unavailable):
        await watch.check()
    tokens.fail, tokens.value = False, "written-while-down"
    assert await watch.check() is True  # no interval to wait: the failed read did not count
    assert tokens.reads == 3 and len(dropped) == 2
