"""Title similarity: how close a question is to each document's title.

A title names an article's topic in a few words ("Create account", "Roaming abroad"), and
a customer's question is a few words too: question-to-title is a like-for-like comparison.
Passage similarity is not: a short question against a passage of several paragraphs is
pulled towards whatever else the passage says ("how can I open a new account" lands nearer
a passage about switching to the free account than one that walks through sign-up). The
passages are embedded with their title in front, but among a thousand characters of body
the title barely moves the vector; compared on its own, it does.

Titles are embedded at ingest, in the passages' batch, and stored in Chroma with them
(title_store.py); an index build reads them back in one request. Only a title with no
stored vector (a knowledge base ingested before they were stored) is embedded then, and
stored, so that cost is paid once per knowledge base, not once per start.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from supportflow.knowledge.title_store import StoredTitle

Vector = list[float]
EmbedMany = Callable[[Sequence[str]], Awaitable[list[Vector]]]


class TitleIndex:
    """Each document's title vector; `similarities` scores a question against them all."""

    def __init__(self, doc_ids: Sequence[str], vectors: Sequence[Vector]) -> None:
        self._doc_ids = list(doc_ids)
        self._matrix: npt.NDArray[np.float32] = np.asarray(vectors, dtype=np.float32)

    def similarities(self, vector: Vector) -> dict[str, float]:
        """Cosine similarity of `vector` (normalised) to every document's title."""
        if not self._doc_ids:
            return {}
        scores = self._matrix @ np.asarray(vector, dtype=np.float32)
        return dict(zip(self._doc_ids, scores.tolist(), strict=True))


class StoredTitles(Protocol):
    """Where title vectors are kept (PassageStore: Chroma, beside the passages)."""

    async def title_vectors(self) -> dict[str, StoredTitle]: ...

    async def store_title_vectors(self, titles: Mapping[str, StoredTitle]) -> None: ...


class TitleVectors:
    """Title indexes built from the stored title vectors, embedding only what is missing."""

    def __init__(self, embed: EmbedMany, stored: StoredTitles) -> None:
        self._embed = embed
        self._stored = stored

    async def index(self, titles: Iterable[tuple[str, str]]) -> TitleIndex:
        """A TitleIndex over `(doc_id, title)` pairs (the first title of a doc_id wins)."""
        by_doc: dict[str, str] = {}
        for doc_id, title in titles:
            by_doc.setdefault(doc_id, title)
        known = await self._stored.title_vectors() if by_doc else {}
        # A stored vector counts only for the title it was embedded from (title_store.py).
        missing = {
            doc_id: title
            for doc_id, title in by_doc.items()
            if doc_id not in known or known[doc_id].title != title
        }
        if missing:
            unique = list(dict.fromkeys(missing.values()))
            by_title = dict(zip(unique, await self._embed(unique), strict=True))
            fresh = {doc_id: StoredTitle(t, by_title[t]) for doc_id, t in missing.items()}
            # Stored so the next start reads them. Should an ingest have re-titled one
            # meanwhile, the row is overwritten with the older title, and the title check
            # above embeds the newer one at the next build: one title again, never a wrong
            # vector.
            await self._stored.store_title_vectors(fresh)
            known = known | fresh
        doc_ids = list(by_doc)
        return TitleIndex(doc_ids, [known[doc_id].vector for doc_id in doc_ids])


# A title's words, numbers aside: what tells one article from another.
_TITLE_WORD = re.compile(r"[^\W\d_]+")


def same_title(first: str, second: str) -> bool:
    """Whether two titles name one article in two versions: the same words, differing only
    in numbers and punctuation ("Refunds (answer 1)" / "Refunds (answer 2)", a copy
    re-ingested under a new id). A single word apart is another article: "International
    roaming" and "International calling", however alike the letters."""
    return _title_words(first) == _title_words(second)


def _title_words(title: str) -> list[str]:
    return _TITLE_WORD.findall(title.lower())
