"""Title similarity: how close a question is to each document's title.

A title names an article's topic in a few words ("Create account", "Roaming abroad"), and
a customer's question is a few words too: question-to-title is a like-for-like comparison.
Passage similarity is not: a short question against a passage of several paragraphs is
pulled towards whatever else the passage says ("how can I open a new account" lands nearer
a passage about switching to the free account than one that walks through sign-up). The
passages are embedded with their title in front, but among a thousand characters of body
the title barely moves the vector; compared on its own, it does.

Titles are embedded when the lexical indexes are built (once per knowledge-base change).
Their vectors are kept by title text, so a rebuild only embeds titles it has not seen.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence

import numpy as np
import numpy.typing as npt

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


class TitleVectors:
    """Title vectors remembered across index rebuilds, so unchanged titles are not
    embedded again; titles no longer in the knowledge base are forgotten."""

    def __init__(self, embed: EmbedMany) -> None:
        self._embed = embed
        self._known: dict[str, Vector] = {}

    async def index(self, titles: Iterable[tuple[str, str]]) -> TitleIndex:
        """A TitleIndex over `(doc_id, title)` pairs (the first title of a doc_id wins)."""
        by_doc: dict[str, str] = {}
        for doc_id, title in titles:
            by_doc.setdefault(doc_id, title)
        wanted = set(by_doc.values())
        missing = sorted(wanted - self._known.keys())
        fresh = dict(zip(missing, await self._embed(missing), strict=True)) if missing else {}
        self._known = {
            title: vector for title, vector in (self._known | fresh).items() if title in wanted
        }
        doc_ids = list(by_doc)
        return TitleIndex(doc_ids, [self._known[by_doc[doc_id]] for doc_id in doc_ids])


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
