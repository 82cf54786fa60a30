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


class QueryEmbedder(Protocol):
    async def embed_query(self, text: str) -> list[float]: ...

    async def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


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
        self._exemplars = exemplars
        self._neutral = neutral
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
            reason: await embedder.embed_documents(list(phrases))
            for reason, phrases in exemplars.items()
        }
        neutral_vectors = await embedder.embed_documents(list(neutral))
        return cls(embedder, vectors, neutral_vectors, threshold, margin)

    async def similarities(self, text: str) -> tuple[dict[str, float], float]:
        """Best similarity per reason, and the best similarity to a neutral phrase."""
        vector = await self._embedder.embed_query(text)
        per_reason = {
            reason: max((_dot(vector, v) for v in vectors), default=0.0)
            for reason, vectors in self._exemplars.items()
        }
        neutral = max((_dot(vector, v) for v in self._neutral), default=0.0)
        return per_reason, neutral

    async def reasons(self, text: str) -> set[str]:
        per_reason, neutral = await self.similarities(text)
        return {
            reason
            for reason, similarity in per_reason.items()
            if similarity >= self.threshold and similarity - neutral >= self.margin
        }
