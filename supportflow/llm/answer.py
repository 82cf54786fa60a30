"""What an answer provider gives back, and the confidence rule every provider shares.

Confidence is calibrated from retrieval evidence only, so that it means the same with and
without Groq:

    evidence   = (best passage similarity + best sentence similarity) / 2
                 + MARGIN_WEIGHT * min(margin to the next document, MARGIN_CAP)
    confidence = 1 / (1 + exp(-(evidence - CENTER) / SCALE))

With all-MiniLM-L6-v2, questions a knowledge base answers score evidence 0.45-0.8, while
off-topic ones ("tell me a joke", a roaming question to a shop's KB) stay under ~0.4, so
CENTER = 0.38 and SCALE = 0.04 put the 0.6 escalation threshold at evidence ~0.40. The
margin rewards one clearly best document; it is capped because knowledge bases often hold
near-duplicate articles, where a small margin says nothing. Groq may lower the confidence
(it says it cannot answer) but never raise it: see `groq_answerer.py`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from supportflow.knowledge.retrieval import Retrieval
from supportflow.rooms.responder import Turn

CENTER = 0.38
SCALE = 0.04
MARGIN_WEIGHT = 0.5
MARGIN_CAP = 0.1


@dataclass(frozen=True)
class Answer:
    """A reply text, its confidence, the provider that wrote it and the ids it cites."""

    text: str
    confidence: float
    provider: str
    cited: tuple[str, ...]


class Answerer(Protocol):
    name: str

    async def answer(self, question: str, retrieval: Retrieval, history: Sequence[Turn]) -> Answer:
        """Answer `question` from `retrieval`; must not raise for provider failures."""
        ...


def retrieval_evidence(retrieval: Retrieval) -> float:
    """The evidence score of the calibration rule above (0 when nothing matched)."""
    best = retrieval.best
    if best is None:
        return 0.0
    sentence = best.sentences[0].similarity if best.sentences else best.similarity
    # A confirmed customer wording this close is as good a match as a sentence of the
    # article (knowledge/learned_fusion.py).
    sentence = max(sentence, best.learned)
    runner_up = retrieval.documents[1].similarity if len(retrieval.documents) > 1 else 0.0
    margin = max(0.0, min(best.similarity - runner_up, MARGIN_CAP))
    return (best.similarity + sentence) / 2 + MARGIN_WEIGHT * margin


def calibrated_confidence(retrieval: Retrieval) -> float:
    """Probability-like confidence that the knowledge base answers the question."""
    if retrieval.best is None:
        return 0.0
    evidence = retrieval_evidence(retrieval)
    return round(1.0 / (1.0 + math.exp(-(evidence - CENTER) / SCALE)), 4)
