"""Article examples: which article do customers who write like this need?

A help article is written in the company's words ("Checking for an outage", "no signal or
SOS only"); customers write in theirs ("everyone on my street is down", "phone stuck on
emergency calls"). Passages, sentences and titles all compare a message with the company's
words. An article may also carry examples of the messages it answers, in customers' words
(`examples` in an article's front matter or ingest JSON, written by whoever writes the
article, as intent-based assistants are given training phrases). This index compares a
message with those: the articles the search found, those with examples ordered by the
message's similarity to each one's closest example (an article without examples keeps its
place), are one more reading of the message, fused with the others by rank
(conversation/reading.py) at a clause's weight. Not added to the rank score: measured that
way, a clause that happened to resemble one example outweighed what the passages said
(docs/reading.md), while a reading's place in a fusion bounds what it can move.

The examples are embedded at ingest (example_store.py) and read back whole, with their
vectors, when the retriever builds its indexes. A knowledge base without examples (the dev
set's articles, any company's until it writes some) reads every message as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        # Rows grouped by article, so one `maximum.reduceat` gives every article's closest
        # example (a Python loop over ~2,000 scores cost more than the product itself).
        order = sorted(range(len(stored.doc_ids)), key=stored.doc_ids.__getitem__)
        self._matrix = stored.vectors[order] if order else stored.vectors
        grouped = [stored.doc_ids[row] for row in order]
        self._starts = np.asarray(
            [row for row, doc_id in enumerate(grouped) if row == 0 or grouped[row - 1] != doc_id],
            dtype=np.intp,
        )
        self._articles = [grouped[row] for row in self._starts.tolist()]

    def closest(self, vector: Vector) -> dict[str, float]:
        """Per article with examples, the similarity of `vector` (unit length) to its
        closest example."""
        if not self._articles:
            return {}
        # einsum, not `@`: a product this size goes to OpenBLAS's threads, which wait for
        # cores the encoder's own threads hold; in a busy server it took 5 ms, not 0.2.
        scores = np.einsum("ij,j->i", self._matrix, np.asarray(vector, dtype=np.float32))
        best = np.maximum.reduceat(scores, self._starts)
        return dict(zip(self._articles, best.tolist(), strict=True))

    def reorder(
        self, vector: Vector, found: Sequence[T], learned: Mapping[str, float] | None = None
    ) -> list[T]:
        """`found` (the articles a search found, best first) with the articles that have
        examples re-ordered among the places they hold, by the similarity of `vector` (unit
        length) to each one's closest example; empty when none of them has any.

        An article without examples keeps its place: in a knowledge base where only some
        articles have examples (an admin adds one without), it is neither lifted nor pushed
        down by a reading it has no part in. Only what the search found: an article no
        passage, sentence or title brought up is not fetched for its examples alone.

        `learned`: the question's similarity to each article's closest learned example
        (learned_fusion.py). Those are examples of the article too, confirmed by an agent,
        and count as such here: a wording an agent confirmed is not outvoted by the
        examples the article was written with.
        """
        if not self._articles or not found:
            return []
        best = self.closest(vector)
        for doc_id, score in (learned or {}).items():
            best[doc_id] = max(best.get(doc_id, -2.0), score)
        places = [index for index, match in enumerate(found) if match.doc_id in best]
        if not places:
            return []
        by_example = sorted(
            (found[index] for index in places), key=lambda match: best[match.doc_id], reverse=True
        )
        reordered = list(found)
        for index, match in zip(places, by_example, strict=True):
            reordered[index] = match
        return reordered
