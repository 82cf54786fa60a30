"""Finding the documents that answer a question.

The question (identifiers dropped, typos repaired against the knowledge base's words) is
embedded once and compared (cosine) with two kinds of stored units: passages (title plus a
few paragraphs) and single sentences. Units are grouped by document. Documents are ranked by

    passage similarity + SENTENCE_WEIGHT * sentence similarity
        + TITLE_WEIGHT * title similarity + LEXICAL_WEIGHT * BM25

where BM25 is normalised to the best document. Passages capture the topic; a sentence
pinpoints a short question's exact match; the title names the topic in as few words as a
question uses (titles.py); BM25 rewards rare exact terms. The reported
`similarity` stays the plain passage similarity: it is what the confidence calibration
reads, and it means the same whatever else is indexed. The weights were chosen on the dev
set's retrieval questions (see scripts/evaluate.py, scripts/evaluate_cv.py for the title
weight's cross-validation, and docs/quality.md).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.knowledge.article_examples import ExampleIndex
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.learned_fusion import (
    learned_bonus,
    learned_scores,
    with_learned_articles,
)
from supportflow.knowledge.learned_index import LearnedIndex
from supportflow.knowledge.lexical import LexicalIndex
from supportflow.knowledge.passage_store import PassageHit, PassageStore
from supportflow.knowledge.spelling import Vocabulary
from supportflow.knowledge.titles import TitleIndex, TitleVectors
from supportflow.metrics import UNOBSERVED, Metrics

SENTENCE_WEIGHT = 0.5
LEXICAL_WEIGHT = 0.1
# A title is a short unit like a sentence and gets a sentence's weight: chosen, not fitted.
# On the dev questions hit@1 is flat from 0 to 0.8 (scripts/evaluate_cv.py: nothing there
# to fit), while real tweets gain hit@3 from 0.4 on (docs/quality.md).
TITLE_WEIGHT = 0.5
# Units fetched per question: enough to see ~5 documents of several passages/sentences.
_PASSAGES_PER_QUERY = 20
_SENTENCES_PER_QUERY = 40


@dataclass(frozen=True)
class DocumentMatch:
    """A document that matched a question; its passages and sentences best first."""

    doc_id: str
    title: str
    category: str
    similarity: float
    rank_score: float
    passages: tuple[PassageHit, ...]
    sentences: tuple[PassageHit, ...]
    # The question's similarity to the closest learned example of this article (0: none
    # close enough; learned_fusion.py).
    learned: float = 0.0


@dataclass(frozen=True)
class Retrieval:
    """The documents that matched a question, best first (may be empty)."""

    question: str
    documents: tuple[DocumentMatch, ...]
    # Asked `with_examples`: the articles found, those with examples re-ordered by how close
    # the question is to them (article_examples.py); empty when not asked or none has any.
    by_examples: tuple[DocumentMatch, ...] = ()

    @property
    def best(self) -> DocumentMatch | None:
        return self.documents[0] if self.documents else None

    def context(self, max_chars: int) -> list[PassageHit]:
        """Best passages, one per document in rank order then the rest, within `max_chars`."""
        ordered = [doc.passages[0] for doc in self.documents if doc.passages]
        ordered += [hit for doc in self.documents for hit in doc.passages[1:]]
        chosen: list[PassageHit] = []
        used = 0
        for hit in ordered:
            if used + len(hit.passage.text) > max_chars:
                continue
            chosen.append(hit)
            used += len(hit.passage.text)
        return chosen


@dataclass(frozen=True)
class Indexes:
    """What a search needs besides the vector store, rebuilt when the knowledge changes."""

    lexical: LexicalIndex
    vocabulary: Vocabulary
    titles: TitleIndex
    examples: ExampleIndex


class Retriever:
    """Dense retrieval over passages and sentences, re-ranked lexically."""

    def __init__(
        self,
        embedder: Embedder,
        store: PassageStore,
        sentence_weight: float = SENTENCE_WEIGHT,
        lexical_weight: float = LEXICAL_WEIGHT,
        title_weight: float = TITLE_WEIGHT,
        repair_spelling: bool = True,
        metrics: Metrics = UNOBSERVED,
        learned: LearnedIndex | None = None,
    ) -> None:
        self._embedder = embedder
        self._metrics = metrics
        self._store = store
        self._sentence_weight = sentence_weight
        self._lexical_weight = lexical_weight
        self._title_weight = title_weight
        self._repair_spelling = repair_spelling
        self._titles = TitleVectors(embedder.embed_documents, store)
        self._indexes: Indexes | None = None
        self._invalidations = 0
        self.learned = learned

    def invalidate(self) -> None:
        """Forget the lexical indexes; the next search rebuilds them from the store."""
        self._indexes = None
        self._invalidations += 1

    async def search(
        self, question: str, max_documents: int = 5, with_examples: bool = False
    ) -> Retrieval:
        """The documents that best match `question`; `with_examples`: also the same
        articles as their examples order them (`Retrieval.by_examples`)."""
        started = time.perf_counter()
        indexes = await self._current_indexes()
        query = indexes.vocabulary.clean_query(question) if self._repair_spelling else question
        vector = await self._embedder.embed_query(query)
        # Both kinds from one Chroma query (nearest.py), batched with other rooms' questions.
        passages, sentences = await self._store.nearest_units(
            vector, _PASSAGES_PER_QUERY, _SENTENCES_PER_QUERY
        )
        learned = await learned_scores(self.learned, vector)
        passages, sentences = await with_learned_articles(
            self._store, vector, learned, passages, sentences
        )
        lexical = indexes.lexical.document_scores(query) if self._lexical_weight > 0 else {}
        titles = indexes.titles.similarities(vector) if self._title_weight > 0 else {}
        documents = self._rank(passages, sentences, lexical, titles, learned)
        by_examples = (
            indexes.examples.reorder(vector, documents, learned)[:max_documents]
            if with_examples
            else []
        )
        self._metrics.retrieval_seconds.observe(time.perf_counter() - started)
        return Retrieval(question, tuple(documents[:max_documents]), tuple(by_examples))

    async def _current_indexes(self) -> Indexes:
        if self._indexes is None:
            invalidations = self._invalidations
            passages = [row.passage for row in await self._store.passages()]
            vocabulary = Vocabulary.from_texts(
                (f"{p.title} {p.text}" for p in passages), self._embedder.known_words()
            )
            titles = (
                await self._titles.index((p.doc_id, p.title) for p in passages)
                if self._title_weight > 0
                else TitleIndex([], [])
            )
            examples = ExampleIndex(await self._store.example_vectors())
            built = Indexes(LexicalIndex(passages), vocabulary, titles, examples)
            # Invalidated while the passages were read: they may predate the write, so they
            # serve this search but are not kept for the next.
            if invalidations == self._invalidations:
                self._indexes = built
            return built
        return self._indexes

    def _rank(
        self,
        passages: Sequence[PassageHit],
        sentences: Sequence[PassageHit],
        lexical_scores: dict[str, float],
        title_scores: dict[str, float],
        learned_scores: dict[str, float],
    ) -> list[DocumentMatch]:
        passages_by_doc = _by_document(passages)
        sentences_by_doc = _by_document(sentences)
        documents: list[DocumentMatch] = []
        for doc_id, doc_passages in passages_by_doc.items():
            doc_sentences = sentences_by_doc.get(doc_id, [])
            similarity = doc_passages[0].similarity
            sentence_similarity = doc_sentences[0].similarity if doc_sentences else 0.0
            rank_score = (
                similarity
                + self._sentence_weight * sentence_similarity
                + self._title_weight * title_scores.get(doc_id, 0.0)
                + self._lexical_weight * lexical_scores.get(doc_id, 0.0)
                + learned_bonus(learned_scores.get(doc_id, 0.0))
            )
            first = doc_passages[0].passage
            documents.append(
                DocumentMatch(
                    doc_id,
                    first.title,
                    first.category,
                    similarity,
                    rank_score,
                    tuple(doc_passages),
                    tuple(doc_sentences),
                    learned_scores.get(doc_id, 0.0),
                )
            )
        return sorted(documents, key=lambda doc: doc.rank_score, reverse=True)


def _by_document(hits: Sequence[PassageHit]) -> dict[str, list[PassageHit]]:
    grouped: dict[str, list[PassageHit]] = {}
    for hit in hits:  # already most similar first
        grouped.setdefault(hit.passage.doc_id, []).append(hit)
    return grouped
