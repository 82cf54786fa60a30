"""The plain dense floor every retrieval figure of `evaluate.py` is printed beside.

The same MiniLM over the same stored passages, and nothing else: the message embedded as
sent, its nearest passages, each article ranked by its best passage. No lexical, title,
sentence or context signal, no typo repair, no normalisation. It is what a plain dense
retriever gets on the same messages; supportflow below it on any file is a regression
(README).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import PASSAGE
from supportflow.rooms.responder import Reply

# Passages fetched per message: enough to see ~5 articles of several passages each.
_PASSAGES = 20


async def dense_ranking(knowledge: KnowledgeBase, text: str) -> list[str]:
    """Article ids, best first, by their best passage's cosine to `text` alone."""
    vector = await knowledge.embedder.embed_query(text)
    hits = await knowledge.store.nearest(vector, _PASSAGES, PASSAGE)
    ranked: list[str] = []
    for hit in hits:  # most similar first
        if hit.passage.doc_id not in ranked:
            ranked.append(hit.passage.doc_id)
    return ranked


@dataclass
class RankScore:
    """hit@1, hit@3 and MRR@3 over labelled messages, for one ranking."""

    hits1: int = 0
    hits3: int = 0
    reciprocal: float = 0.0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, ranked: Iterable[str], expected: Iterable[str]) -> int | None:
        """Score one message; its rank (0-based) among the first three, or None."""
        wanted = set(expected)
        top = list(ranked)[:3]
        rank = next((i for i, doc_id in enumerate(top) if doc_id in wanted), None)
        self.total += 1
        self.hits1 += rank == 0
        self.hits3 += rank is not None
        self.reciprocal += 1 / (rank + 1) if rank is not None else 0.0
        return rank

    def line(self) -> str:
        if not self.total:
            return "hit@1   -     hit@3   -     MRR@3   -  "
        n = self.total
        return (
            f"hit@1 {self.hits1 / n:.3f}   hit@3 {self.hits3 / n:.3f}   "
            f"MRR@3 {self.reciprocal / n:.3f}   ({self.hits1}/{self.hits3}/{n})"
        )


async def floor_score(knowledge: KnowledgeBase, rows: Iterable[tuple[str, list[str]]]) -> RankScore:
    """The dense floor over (message, expected ids) pairs."""
    score = RankScore()
    for text, expected in rows:
        score.add(await dense_ranking(knowledge, text), expected)
    return score


def side_by_side(name: str, ours: RankScore, floor: RankScore) -> str:
    """Two lines: supportflow's figures, then the floor's, marked when ours is below."""
    below = [
        label
        for label, a, b in (
            ("hit@1", ours.hits1, floor.hits1),
            ("hit@3", ours.hits3, floor.hits3),
            ("MRR@3", ours.reciprocal, floor.reciprocal),
        )
        if a < b
    ]
    warning = f"   BELOW THE FLOOR on {', '.join(below)}: a regression" if below else ""
    first = f"  {name:<12} supportflow  {ours.line()}"
    return f"{first}\n  {'':<12} dense floor  {floor.line()}{warning}"


@dataclass
class ReplyOutcomes:
    """What the customer was shown: an answer (from the right article or not), a clarifying
    question, an off-topic reply, or a hand-over."""

    replies: int = 0
    answered: int = 0
    wrong_shown: int = 0
    clarified: int = 0
    off_topic: int = 0
    handed_over: int = 0

    def add(self, reply: Reply, expected: list[str] | None) -> None:
        """`expected`: the article ids that answer it, [] for none, None when unlabelled."""
        self.replies += 1
        if reply.escalate:
            self.handed_over += 1
        elif reply.act == "off_topic":
            self.off_topic += 1
        elif reply.suggestions:
            self.clarified += 1
        elif reply.sources:
            self.answered += 1
            if expected is not None and reply.sources[0].id not in expected:
                self.wrong_shown += 1

    def line(self) -> str:
        n = self.replies or 1
        return (
            f"  shown: answered from an article {self.answered}, of which from a wrong one "
            f"{self.wrong_shown} ({self.wrong_shown / n:.3f} of replies); clarifying questions "
            f"{self.clarified} ({self.clarified / n:.3f}); off-topic replies {self.off_topic}; "
            f"handed over {self.handed_over}"
        )
