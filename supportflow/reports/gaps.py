"""Knowledge gaps: the questions the bot could not answer, grouped by meaning into topics.

Questions are embedded with the bot's own model and grouped by average-linkage
agglomerative clustering on cosine distance, cut at `DISTANCE_THRESHOLD`: no number of
topics is fixed in advance, and two questions share a topic only when they are, on
average, that close to the rest of it. The threshold was chosen on the dev set's 270
labelled questions (27 intents) by 5-fold cross-validation (`scripts/evaluate_gaps.py`).
Embedding and clustering run off the event loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from supportflow.knowledge.embedder import Embedder
from supportflow.store.reports import UnansweredQuestion

DISTANCE_THRESHOLD = 0.6
EXAMPLES_PER_TOPIC = 5

Matrix = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GapTopic:
    """Questions of one meaning: `label` is the one nearest the topic's centre."""

    label: str
    count: int  # questions asked, repeats included
    examples: tuple[str, ...]  # distinct wordings, nearest the centre first
    reasons: dict[str, int]
    last_asked_at: str


def cluster(vectors: Matrix, threshold: float = DISTANCE_THRESHOLD) -> list[int]:
    """A topic number per row of `vectors` (blocking: run it in a thread)."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average"
    )
    return [int(label) for label in model.fit_predict(vectors)]


async def knowledge_gaps(
    questions: Sequence[UnansweredQuestion],
    embedder: Embedder,
    threshold: float = DISTANCE_THRESHOLD,
) -> list[GapTopic]:
    """`questions` grouped into topics, biggest first (ties: most recently asked first)."""
    by_text: dict[str, list[UnansweredQuestion]] = {}
    for question in questions:
        # The same words asked twice are one wording asked twice, embedded once.
        by_text.setdefault(" ".join(question.text.split()).casefold(), []).append(question)
    if not by_text:
        return []
    wordings = list(by_text)
    vectors = np.asarray(await embedder.embed_documents(wordings), dtype=np.float64)
    labels = await asyncio.to_thread(cluster, vectors, threshold)
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(label, []).append(index)
    topics = [
        _topic([by_text[wordings[i]] for i in rows], vectors[rows]) for rows in members.values()
    ]
    return sorted(topics, key=lambda topic: (-topic.count, _descending(topic.last_asked_at)))


def _topic(groups: list[list[UnansweredQuestion]], vectors: Matrix) -> GapTopic:
    centre = vectors.mean(axis=0)
    nearest = np.argsort(-(vectors @ centre))
    asked = [question for group in groups for question in group]
    examples = tuple(groups[i][0].text for i in nearest[:EXAMPLES_PER_TOPIC])
    return GapTopic(
        label=examples[0],
        count=len(asked),
        examples=examples,
        reasons=dict(Counter(question.why for question in asked).most_common()),
        last_asked_at=max(question.created_at for question in asked),
    )


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-ord(char) for char in text)
