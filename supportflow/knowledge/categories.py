"""Symptom to topic: how close a question is to each article's category as a whole.

A customer names a symptom ("no bars since this morning", "charged twice"), rarely the
article's topic. A single title or passage may not share the symptom's words, but the
category it belongs to, read as the mean of its articles' title vectors, covers the area
the symptom lies in (network, billing, device). Each article is scored by its category's
centroid, so a question near the network articles as a group lifts every network article a
little over an article of another area that happens to share a word.

Built from the knowledge base only (the title vectors embedded at ingest and the articles'
categories): nothing is written for particular messages, and nothing is learned.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

Vector = list[float]


class CategoryIndex:
    """Per category, the unit mean of its articles' title vectors."""

    def __init__(self, title_vectors: Mapping[str, Vector], categories: Mapping[str, str]) -> None:
        """`title_vectors`: doc_id -> title vector; `categories`: doc_id -> category."""
        members: dict[str, list[Vector]] = {}
        for doc_id, vector in title_vectors.items():
            category = categories.get(doc_id, "")
            if category:
                members.setdefault(category, []).append(vector)
        self._categories = dict(categories)
        self._names = list(members)
        rows = [
            _unit(np.mean(np.asarray(members[name], dtype=np.float32), axis=0))
            for name in self._names
        ]
        self._matrix: npt.NDArray[np.float32] = (
            np.vstack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
        )

    def similarities(self, vector: Vector) -> dict[str, float]:
        """Per document, the cosine similarity of `vector` to its category's centroid."""
        if not self._names:
            return {}
        scores = self._matrix @ _unit(np.asarray(vector, dtype=np.float32))
        by_category = dict(zip(self._names, scores.tolist(), strict=True))
        return {
            doc_id: float(by_category[category])
            for doc_id, category in self._categories.items()
            if category in by_category
        }


def _unit(vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector
