"""A small in-memory BM25 index over passages: the lexical signal beside the dense one.

Dense vectors blur rare, exact terms (product names, "APN", "eSIM", error codes); BM25
rewards them. The index holds the passages' titles and texts, is rebuilt from the store
whenever the knowledge base changes, and scores in microseconds for a few thousand
passages, so it runs on the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable

import bm25s
import numpy as np

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
    """Lower-case word tokens without stopwords, Snowball-stemmed."""
    return [stem(word) for word in words(text) if word not in STOPWORDS]


class LexicalIndex:
    """BM25 over passages; `document_scores` returns each document's best passage score.

    Scoring is bm25s (sparse matrices, numpy): one query scores every passage in a few
    vector operations instead of a Python loop over passages and terms. Lucene's BM25
    (idf log(1 + (N - n + 0.5) / (n + 0.5))) gives the same ranking as the hand-written
    index it replaced, and scores are normalised to the best document anyway.
    """

    def __init__(self, passages: Iterable[Passage]) -> None:
        ordered = sorted(passages, key=lambda passage: passage.doc_id)
        doc_ids = [passage.doc_id for passage in ordered]
        # Passages of one document are contiguous: each document's best is one reduceat.
        self._starts = [i for i, doc_id in enumerate(doc_ids) if i == 0 or doc_ids[i - 1] != doc_id]
        self._doc_ids = [doc_ids[i] for i in self._starts]
        self._bm25: bm25s.BM25 | None = None
        if ordered:
            self._bm25 = bm25s.BM25(k1=_K1, b=_B, method="lucene")
            self._bm25.index([terms(f"{p.title} {p.text}") for p in ordered], show_progress=False)

    def document_scores(self, query: str) -> dict[str, float]:
        """Best BM25 score per document, normalised so the best document scores 1."""
        query_terms = list(dict.fromkeys(terms(query)))  # each term once, as BM25 scores it
        if self._bm25 is None or not query_terms:
            return {}
        scores = self._bm25.get_scores(query_terms)
        best = np.maximum.reduceat(scores, self._starts)
        top = float(best.max())
        if top <= 0:
            return {}
        return {
            doc_id: float(score) / top
            for doc_id, score in zip(self._doc_ids, best, strict=True)
            if score > 0
        }
