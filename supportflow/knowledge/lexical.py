"""A small in-memory BM25 index over passages: the lexical signal beside the dense one.

Dense vectors blur rare, exact terms (product names, "APN", "eSIM", error codes); BM25
rewards them. The index holds the passages' titles and texts, is rebuilt from the store
whenever the knowledge base changes, and scores in microseconds for a few thousand
passages, so it runs on the event loop.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from supportflow.knowledge.documents import Passage
from supportflow.text import stem, words

# Function words carry no topic; dropping them keeps BM25 from rewarding "how do I".
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "do",
        "does",
        "did",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "i'm",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "should",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "too",
        "us",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "hi",
        "hello",
        "thanks",
        "thank",
        "want",
        "need",
        "help",
    ]
)
_K1 = 1.2
_B = 0.75


def terms(text: str) -> list[str]:
    """Lower-case word tokens without stopwords, lightly stemmed."""
    return [stem(word) for word in words(text) if word not in STOPWORDS]


@dataclass(frozen=True)
class _IndexedPassage:
    doc_id: str
    counts: Counter[str]
    length: int


class LexicalIndex:
    """BM25 over passages; `document_scores` returns each document's best passage score."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        self._entries = [
            _IndexedPassage(p.doc_id, Counter(words), len(words))
            for p in passages
            for words in [terms(f"{p.title} {p.text}")]
        ]
        count = len(self._entries)
        self._average_length = sum(e.length for e in self._entries) / count if count else 0.0
        frequency: Counter[str] = Counter()
        for entry in self._entries:
            frequency.update(entry.counts.keys())
        self._idf = {
            term: math.log(1 + (count - seen + 0.5) / (seen + 0.5))
            for term, seen in frequency.items()
        }

    def document_scores(self, query: str) -> dict[str, float]:
        """Best BM25 score per document, normalised so the best document scores 1."""
        query_terms = set(terms(query))
        best: dict[str, float] = {}
        for entry in self._entries:
            score = self._score(entry, query_terms)
            if score > best.get(entry.doc_id, 0.0):
                best[entry.doc_id] = score
        top = max(best.values(), default=0.0)
        return {doc_id: score / top for doc_id, score in best.items()} if top > 0 else {}

    def _score(self, entry: _IndexedPassage, query_terms: set[str]) -> float:
        score = 0.0
        norm = _K1 * (1 - _B + _B * entry.length / (self._average_length or 1.0))
        for term in query_terms:
            tf = entry.counts.get(term, 0)
            if tf:
                score += self._idf[term] * tf * (_K1 + 1) / (tf + norm)
        return score
