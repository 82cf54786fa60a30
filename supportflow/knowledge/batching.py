"""Cross-room micro-batching: many concurrent requests, one call in the worker thread.

Encoding one question costs nearly as much as encoding twenty (the model's fixed overhead
dominates short inputs), and one Chroma query with many query vectors costs far less than
as many queries. So concurrent requests from different rooms are gathered and run as one
batch, and each caller gets its own result back.

The policy never makes a lone request wait: when nothing is running, a request starts a
batch at once (of one). Only while a batch is running do new requests queue; when it ends,
everything queued (up to `max_batch`) goes next, after at most `max_wait` seconds more to
let a partly filled batch fill. Latency alone is unchanged, and throughput under load grows
with the batch size.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class BatchPolicy:
    """How big a batch may grow, and how long a queued batch may wait to fill."""

    max_batch: int = 32
    max_wait: float = 0.002  # seconds; only ever spent when others are already queued

    def __post_init__(self) -> None:
        if self.max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        if self.max_wait < 0:
            raise ValueError("max_wait must not be negative")


BatchObserver = Callable[[int, float], None]  # (batch size, seconds the work took)


class MicroBatcher(Generic[T, R]):
    """Runs `work(items) -> results` (blocking, same length and order) one batch at a time.

    `work` runs in a worker thread. An exception it raises reaches every caller of that
    batch. `observe`, when set, is called on the event loop after each batch.
    """

    def __init__(
        self,
        work: Callable[[list[T]], Sequence[R]],
        policy: BatchPolicy,
        observe: BatchObserver | None = None,
        name: str = "batch",
    ) -> None:
        self._work = work
        self._policy = policy
        self.observe = observe
        self._name = name
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._runner: asyncio.Task[None] | None = None
        self._working = False

    @property
    def busy(self) -> bool:
        return self._runner is not None and not self._runner.done()

    @property
    def working(self) -> bool:
        """A batch is in the worker thread now (not merely queued to start)."""
        return self._working

    @property
    def queued(self) -> int:
        """Requests waiting for the next batch."""
        return len(self._queue)

    async def submit(self, item: T) -> R:
        """The result of `item`, computed in the next batch that has room for it."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if not self.busy:
            # Idle: start now. The runner takes whatever is queued without waiting.
            self._runner = asyncio.create_task(self._run(), name=f"{self._name}-batcher")
        return await future

    async def _run(self) -> None:
        first = True
        try:
            while self._queue:
                filling = not first and len(self._queue) < self._policy.max_batch
                if filling and self._policy.max_wait > 0:
                    # Others are queued behind a batch that just ended: a short window
                    # lets the rest of a burst join them.
                    await asyncio.sleep(self._policy.max_wait)
                first = False
                batch = self._queue[: self._policy.max_batch]
                del self._queue[: len(batch)]
                await self._run_batch(batch)
        except BaseException as error:  # cancelled at shutdown: nobody may wait forever
            for _, future in self._queue:
                if not future.done():
                    future.set_exception(error if isinstance(error, Exception) else _stopped())
            self._queue.clear()
            raise

    async def _run_batch(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        loop = asyncio.get_running_loop()
        started = loop.time()
        self._working = True
        try:
            results = await asyncio.to_thread(self._work, [item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"{self._name}: {len(results)} results for {len(batch)} items")
        except Exception as error:
            _fail(batch, error)
            return
        except BaseException:
            _fail(batch, _stopped())
            raise
        finally:
            self._working = False
            if self.observe is not None:
                self.observe(len(batch), loop.time() - started)
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


def _fail(batch: list[tuple[T, asyncio.Future[R]]], error: Exception) -> None:
    for _, future in batch:
        if not future.done():  # a caller that gave up is already done
            future.set_exception(error)


def _stopped() -> Exception:
    return RuntimeError("the batcher stopped before this request ran")
