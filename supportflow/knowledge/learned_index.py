"""Learned examples as retrieval sees them: customer wording, embedded, by article.

An agent who handled a handed-off chat confirms which article answered it; the customer's
words and that article become a learned example (supportflow/learning). Retrieval asks this
index, with the question's vector, how close the question is to each article's examples
(`similarities`) and fuses that with the article ranking (retrieval.py).

The examples are read from a source (the store) into memory and embedded with the same
encoder as questions, in a worker thread; texts embedded once are not embedded again. The
index re-reads its source when it is told a write happened here (`forget`), and at most every
`check_seconds` asks the source whether anything changed elsewhere (another node's agents
confirming or an admin editing), so every node answers from the same examples within that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vector = list[float]
Matrix = npt.NDArray[np.float32]
# Above this many examples the similarities are computed in a worker thread.
_INLINE_ROWS = 2000


class Example(Protocol):
    """What the index needs of a learned example (the store's record has it)."""

    @property
    def example_id(self) -> str: ...

    @property
    def article_id(self) -> str: ...

    @property
    def text(self) -> str: ...


class ExampleSource(Protocol):
    async def learned_examples(self) -> Sequence[Example]: ...

    async def learned_examples_mark(self) -> tuple[int, int]:
        """Changes whenever an example is added, edited or removed."""
        ...


@dataclass(frozen=True)
class Snapshot:
    """The examples as last read: one row of `vectors` per entry of `articles`."""

    articles: tuple[str, ...]
    vectors: Matrix
    mark: tuple[int, int]


_EMPTY = Snapshot((), np.zeros((0, 0), dtype=np.float32), (0, 0))


class LearnedIndex:
    """The learned examples in memory, kept in step with their source."""

    def __init__(
        self,
        embed: Callable[[Sequence[str]], Awaitable[list[Vector]]],
        source: ExampleSource,
        check_seconds: float = 1.0,
        prepare: Callable[[str], str] = str.strip,
    ) -> None:
        """`embed`: the encoder questions go through; `prepare`: what is done to a question
        before it is embedded, done to each example too so both read alike."""
        self._embed = embed
        self._source = source
        self._check_seconds = check_seconds
        self._prepare = prepare
        self._snapshot = _EMPTY
        self._checked_at: float | None = None
        self._vectors: dict[str, npt.NDArray[np.float32]] = {}
        self._lock = asyncio.Lock()
        self._writes = 0

    def _prepare_all(self, texts: list[str]) -> list[str]:
        return [self._prepare(text) for text in texts]

    def forget(self) -> None:
        """An example changed here: the next search re-reads them first."""
        self._checked_at = None
        self._writes += 1

    @property
    def size(self) -> int:
        return len(self._snapshot.articles)

    async def similarities(self, vector: Vector) -> dict[str, float]:
        """Per article, the cosine similarity of `vector` to its closest example."""
        snapshot = await self._current()
        if not snapshot.articles:
            return {}
        query = _unit(np.asarray(vector, dtype=np.float32))
        if len(snapshot.articles) > _INLINE_ROWS:
            scores = await asyncio.to_thread(np.matmul, snapshot.vectors, query)
        else:
            scores = snapshot.vectors @ query
        best: dict[str, float] = {}
        for article_id, score in zip(snapshot.articles, scores.tolist(), strict=True):
            if score > best.get(article_id, -1.0):
                best[article_id] = float(score)
        return best

    async def _current(self) -> Snapshot:
        if not self._due():
            return self._snapshot
        async with self._lock:
            if self._due():  # another search refreshed while this one waited
                try:
                    await self._refresh()
                except Exception:  # the examples are a help, never a reason not to answer
                    log.warning("could not re-read the learned examples", exc_info=True)
                    self._checked_at = time.monotonic()  # keep what it has; retry later
        return self._snapshot

    def _due(self) -> bool:
        return (
            self._checked_at is None or time.monotonic() - self._checked_at >= self._check_seconds
        )

    async def _refresh(self) -> None:
        checked_at, writes = time.monotonic(), self._writes
        mark = await self._source.learned_examples_mark()
        if self._checked_at is not None and mark == self._snapshot.mark:
            self._checked_at = checked_at
            return
        examples = list(await self._source.learned_examples())
        # Off the loop: a whole table of examples through `prepare` (social text's reading,
        # which may first read its word counts) is CPU work.
        texts = await asyncio.to_thread(self._prepare_all, [e.text for e in examples])
        new = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        for text, found in zip(new, await self._embed(new), strict=True):
            self._vectors[text] = _unit(np.asarray(found, dtype=np.float32))
        # Texts no example has any more are dropped, so edits do not pile up vectors.
        self._vectors = {text: self._vectors[text] for text in texts}
        vectors = np.stack([self._vectors[text] for text in texts]) if texts else _EMPTY.vectors
        self._snapshot = Snapshot(tuple(e.article_id for e in examples), vectors, mark)
        # A write here while this read ran: what was read may predate it, so read again.
        self._checked_at = checked_at if writes == self._writes else None


def _unit(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
