"""Article examples: which article do customers who write like this need?

A help article is written in the company's words ("Checking for an outage", "no signal or
SOS only"); customers write in theirs ("everyone on my street is down", "phone stuck on
emergency calls"). Passages, sentences and titles all compare a message with the company's
words. An article may also carry examples of the messages it answers, in customers' words
(`examples` in an article's front matter or ingest JSON, written by whoever writes the
article, as intent-based assistants are given training phrases). This index compares a
message with those: each article scores the cosine similarity of the message to its
closest example, and the articles in that order are one more reading of the message, fused
with the others by rank (conversation/reading.py), as a clause is. Not added to the rank
score: a short clause that happens to resemble one example would then outweigh what the
passages say, and a reading's place in a fusion bounds what it can move.

The examples are embedded at ingest (example_store.py) and read back whole, with their
vectors, when the retriever builds its indexes. A knowledge base without examples (the dev
set's articles, any company's until it writes some) reads every message as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

import numpy as np

from supportflow.knowledge.example_store import NO_EXAMPLES, ExampleVectors

Vector = list[float]


class Found(Protocol):
    @property
    def doc_id(self) -> str: ...


T = TypeVar("T", bound=Found)


class ExampleIndex:
    """Every article example's vector, by article."""

    def __init__(self, stored: ExampleVectors = NO_EXAMPLES) -> None:
        self._doc_ids = stored.doc_ids
        self._matrix = stored.vectors

    def __len__(self) -> int:
        return len(self._doc_ids)

    def reorder(self, vector: Vector, found: Sequence[T]) -> list[T]:
        """The articles of `found` that have examples, by the similarity of `vector` (unit
        length) to each one's closest example, best first. Only what the search found: an
        article no passage, sentence or title brought up is not fetched for its examples
        alone (in a fusion by rank it could not come before the whole message's five)."""
        if not self._doc_ids or not found:
            return []
        scores = self._matrix @ np.asarray(vector, dtype=np.float32)
        best: dict[str, float] = {}
        for doc_id, score in zip(self._doc_ids, scores.tolist(), strict=True):
            if score > best.get(doc_id, -2.0):
                best[doc_id] = float(score)
        with_examples = [match for match in found if match.doc_id in best]
        return sorted(with_examples, key=lambda match: best[match.doc_id], reverse=True)
