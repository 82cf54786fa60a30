"""The semantic layer: similarity to short exemplar phrases per escalation reason.

Word lists miss paraphrases ("nobody ever fixes anything"). Each reason has a few exemplar
phrases in the rules file, and a list of neutral phrases (ordinary questions on the same
subjects) guards against topical look-alikes: a message adds a reason when it is at least
`threshold` similar to one of that reason's exemplars and beats every neutral phrase by
`margin`. Exemplars are embedded once at start-up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt


class QueryEmbedder(Protocol):
    async def embed_query(self, text: str) -> list[float]: ...

    async def embed_fixed(self, texts: Sequence[str]) -> list[list[float]]: ...


def _matrix(vectors: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
    """One row per phrase (0 x 0 for none). float64, as the vectors were compared in
    Python before (issue 23's profile: a loop of 35 x 384 products, ~2 ms a message on
    the event loop), so every threshold decision stays the same."""
    return np.asarray(vectors, dtype=np.float64).reshape(len(vectors), -1)


def _best(matrix: npt.NDArray[np.float64], vector: npt.NDArray[np.float64]) -> float:
    return float(np.max(matrix @ vector)) if len(matrix) else 0.0


class ExemplarIndex:
    """Embedded exemplar phrases per reason, plus the neutral phrases."""

    def __init__(
        self,
        embedder: QueryEmbedder,
        exemplars: Mapping[str, list[list[float]]],
        neutral: list[list[float]],
        threshold: float,
        margin: float,
    ) -> None:
        self._embedder = embedder
        self._exemplars = {reason: _matrix(vectors) for reason, vectors in exemplars.items()}
        self._neutral = _matrix(neutral)
        self.threshold = threshold
        self.margin = margin

    @classmethod
    async def build(
        cls,
        embedder: QueryEmbedder,
        exemplars: Mapping[str, Sequence[str]],
        neutral: Sequence[str],
        threshold: float,
        margin: float,
    ) -> ExemplarIndex:
        vectors = {
            reason: await embedder.embed_fixed(list(phrases))
            for reason, phrases in exemplars.items()
        }
        neutral_vectors = await embedder.embed_fixed(list(neutral))
        return cls(embedder, vectors, neutral_vectors, threshold, margin)

    async def similarities(self, text: str) -> tuple[dict[str, float], float]:
        """Best similarity per reason, and the best similarity to a neutral phrase."""
        vector = np.asarray(await self._embedder.embed_query(text), dtype=np.float64)
        per_reason = {reason: _best(vectors, vector) for reason, vectors in self._exemplars.items()}
        return per_reason, _best(self._neutral, vector)

    async def reasons(self, text: str) -> set[str]:
        per_reason, neutral = await self.similarities(text)
        return {
            reason
            for reason, similarity in per_reason.items()
            if similarity >= self.threshold and similarity - neutral >= self.margin
        }
