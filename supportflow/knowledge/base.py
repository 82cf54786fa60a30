"""The knowledge base: ingest, list, read, delete and search documents.

Every way documents arrive (REST JSON, file upload, the CLI through REST, the demo articles)
goes through `KnowledgeBase.ingest`, so the same limits and the same chunking hold for all.
Re-ingesting an id replaces every passage it had.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from supportflow.errors import InvalidInput, NotFound, PayloadTooLarge
from supportflow.knowledge.documents import (
    PASSAGE,
    Document,
    Passage,
    document_id_for,
    join_passages,
    split_passages,
    split_sentence_units,
)
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.example_store import StoredExample
from supportflow.knowledge.freshness import ChangeWatch
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retrieval, Retriever
from supportflow.knowledge.title_store import StoredArticle, StoredTitle
from supportflow.social_text import readable

MAX_TITLE_CHARS = 300
MAX_ID_CHARS = 200
# An example is one customer message, and an article needs tens, not thousands.
MAX_EXAMPLE_CHARS = 300
MAX_EXAMPLES = 100
# Whole articles kept in memory for the answerer and the help center, most recent first.
ARTICLES_CACHED = 256


@dataclass(frozen=True)
class IngestLimits:
    chunk_chars: int
    overlap_chars: int
    max_documents: int
    max_document_chars: int


@dataclass(frozen=True)
class IngestResult:
    ingested: int
    chunks: int
    ids: tuple[str, ...]


@dataclass(frozen=True)
class DocumentSummary:
    id: str
    title: str
    category: str
    passages: int
    updated_at: str


@dataclass(frozen=True)
class DocumentDetail:
    summary: DocumentSummary
    passages: tuple[Passage, ...]
    examples: tuple[str, ...] = ()


class KnowledgeBase:
    """Documents in, passages stored, questions answered with ranked documents."""

    def __init__(
        self,
        embedder: Embedder,
        store: PassageStore,
        retriever: Retriever,
        limits: IngestLimits,
        check_seconds: float | None = None,
    ) -> None:
        """`check_seconds`: with a store other processes write to (a Chroma server), how
        often at most a search first asks whether they did (freshness.py); None: never."""
        self.embedder = embedder
        self.store = store
        self.retriever = retriever
        self.limits = limits
        self.watch = (
            None
            if check_seconds is None
            else ChangeWatch(store.write_token, self._forget_caches, check_seconds)
        )
        # Ingests and deletes of one document must not interleave (delete-then-upsert).
        self._write_lock = asyncio.Lock()
        # What the help center lists and the articles read whole, until the next write
        # (here, or on another node: `watch`). `_writes` tells a read that raced a write
        # not to keep what it read.
        self._catalogue: list[DocumentSummary] | None = None
        self._articles: OrderedDict[str, StoredArticle] = OrderedDict()
        self._writes = 0

    def validate(self, documents: Sequence[Document]) -> list[Document]:
        """Documents with ids filled in; InvalidInput / PayloadTooLarge for bad batches."""
        if not documents:
            raise InvalidInput("documents must hold at least one document", "no_documents")
        if len(documents) > self.limits.max_documents:
            raise PayloadTooLarge(
                f"at most {self.limits.max_documents} documents per ingest, got {len(documents)}",
                "too_many_documents",
            )
        checked: list[Document] = []
        for index, doc in enumerate(documents):
            checked.append(self._validate_one(index, doc))
        return checked

    def _validate_one(self, index: int, doc: Document) -> Document:
        where = f"documents[{index}]"
        title, content, category = doc.title.strip(), doc.content.strip(), doc.category.strip()
        if not title:
            raise InvalidInput(f"{where}.title must not be empty", "missing_title")
        if len(title) > MAX_TITLE_CHARS:
            raise InvalidInput(f"{where}.title is longer than {MAX_TITLE_CHARS} characters")
        if not content:
            raise InvalidInput(f"{where}.content must not be empty", "empty_content")
        if len(content) > self.limits.max_document_chars:
            raise PayloadTooLarge(
                f"{where}.content is longer than {self.limits.max_document_chars} characters",
                "document_too_large",
            )
        doc_id = doc.id.strip() or document_id_for(title, content)
        if len(doc_id) > MAX_ID_CHARS or "::" in doc_id:
            raise InvalidInput(f"{where}.id must be under {MAX_ID_CHARS} characters without '::'")
        examples = _checked_examples(where, doc.examples)
        return Document(doc_id, title, category or "general", content, examples)

    async def ingest(self, documents: Sequence[Document]) -> IngestResult:
        """Validate, chunk, embed and upsert; each id's old passages are replaced."""
        return await self._ingest_checked(self.validate(documents))

    async def ingest_trusted(self, documents: Sequence[Document]) -> IngestResult:
        """`ingest` without the per-call document limit (shipped articles, benchmarks).

        Every document is still checked; only the REST batch-size cap is lifted, so the
        whole set is encoded and written in one go.
        """
        if not documents:
            raise InvalidInput("documents must hold at least one document", "no_documents")
        return await self._ingest_checked(
            [self._validate_one(index, doc) for index, doc in enumerate(documents)]
        )

    async def _ingest_checked(self, checked: list[Document]) -> IngestResult:
        split = [
            split_passages(doc, self.limits.chunk_chars, self.limits.overlap_chars)
            + split_sentence_units(doc)
            for doc in checked
        ]
        flat = [unit for units in split for unit in units]
        # A document repeated in one batch: its last copy wins, as if ingested in order.
        last = {doc.id: index for index, doc in enumerate(checked)}
        titles = {doc_id: checked[index].title for doc_id, index in last.items()}
        # One encode for the whole batch, the titles and the articles' examples with it
        # (retrieval reads their vectors back rather than embedding them at a start), and
        # one delete plus a few large upserts: the model and Chroma both pay per call, not
        # per row.
        examples = [(doc_id, checked[index].examples) for doc_id, index in last.items()]
        # Read as questions are (social text as plain words), off the loop: it is CPU work.
        example_texts = await asyncio.to_thread(
            lambda: [readable(text) for _, texts in examples for text in texts]
        )
        encoded = await self.embedder.embed_documents(
            [_embedded_text(u) for u in flat] + list(titles.values()) + example_texts
        )
        vectors = encoded[: len(flat)]
        title_vectors = encoded[len(flat) : len(flat) + len(titles)]
        example_vectors = iter(encoded[len(flat) + len(titles) :])
        stored_examples = [
            StoredExample(doc_id, position, text, next(example_vectors))
            for doc_id, texts in examples
            for position, text in enumerate(texts)
        ]
        when = datetime.now(UTC).isoformat(timespec="seconds")
        kept = [
            (unit, vector)
            for index, (doc, units) in enumerate(zip(checked, split, strict=True))
            if last[doc.id] == index
            for unit, vector in zip(units, _slice_for(split, index, vectors), strict=True)
        ]
        async with self._write_lock:
            await self.store.replace_documents(
                list(last),
                [unit for unit, _ in kept],
                [vector for _, vector in kept],
                when,
                {
                    doc_id: StoredTitle(title, vector, _stored_article(checked[last[doc_id]], when))
                    for (doc_id, title), vector in zip(titles.items(), title_vectors, strict=True)
                },
                stored_examples,
            )
            self._forget_derived()
        chunks = sum(1 for unit in flat if unit.kind == PASSAGE)
        return IngestResult(len(checked), chunks, tuple(doc.id for doc in checked))

    async def list_documents(self) -> list[DocumentSummary]:
        rows = await self.store.passages()
        summaries: dict[str, DocumentSummary] = {}
        for row in rows:
            p = row.passage
            seen = summaries.get(p.doc_id)
            count = seen.passages + 1 if seen else 1
            summaries[p.doc_id] = DocumentSummary(
                p.doc_id, p.title, p.category, count, row.updated_at
            )
        return sorted(summaries.values(), key=lambda s: (s.category, s.title, s.id))

    async def get_document(self, doc_id: str) -> DocumentDetail:
        rows = await self.store.passages(doc_id)
        if not rows:
            raise NotFound(f"no document {doc_id!r}", "document_not_found")
        first = rows[0].passage
        summary = DocumentSummary(
            doc_id, first.title, first.category, len(rows), rows[0].updated_at
        )
        examples = await self.store.example_texts(doc_id)
        return DocumentDetail(summary, tuple(row.passage for row in rows), tuple(examples))

    async def delete_document(self, doc_id: str) -> int:
        async with self._write_lock:
            removed = await self.store.delete_document(doc_id)
            self._forget_derived()
        if removed == 0:
            raise NotFound(f"no document {doc_id!r}", "document_not_found")
        return removed

    async def search(
        self, question: str, max_documents: int = 5, with_examples: bool = False
    ) -> Retrieval:
        await self._check_freshness()
        return await self.retriever.search(question, max_documents, with_examples)

    async def catalogue(self) -> list[DocumentSummary]:
        """`list_documents`, kept until the knowledge base changes (the help center's index)."""
        await self._check_freshness()
        if self._catalogue is None:
            writes = self._writes
            listed = await self.list_documents()
            if writes == self._writes:
                self._catalogue = listed
            return listed
        return self._catalogue

    async def article(self, doc_id: str) -> StoredArticle | None:
        """A document whole, as ingested (Markdown), or None when there is none."""
        await self._check_freshness()
        cached = self._articles.get(doc_id)
        if cached is not None:
            self._articles.move_to_end(doc_id)
            return cached
        writes = self._writes
        found = await self.store.article(doc_id) or await self._article_from_passages(doc_id)
        if found is not None and writes == self._writes:
            self._articles[doc_id] = found
            while len(self._articles) > ARTICLES_CACHED:
                self._articles.popitem(last=False)
        return found

    async def article_content(self, doc_id: str) -> str | None:
        """Just the Markdown of `article` (what the offline answerer composes from)."""
        found = await self.article(doc_id)
        return found.content if found is not None else None

    async def _article_from_passages(self, doc_id: str) -> StoredArticle | None:
        """An article ingested before articles were kept: its passages, overlaps removed."""
        rows = await self.store.passages(doc_id)
        if not rows:
            return None
        first = rows[0].passage
        content = join_passages([row.passage.text for row in rows])
        return StoredArticle(first.title, first.category, content, rows[0].updated_at)

    async def _check_freshness(self) -> None:
        if self.watch is not None:
            await self.watch.check()

    def _forget_caches(self) -> None:
        """Another process wrote: every cache built from the store goes."""
        self.store.forget_cached_units()
        self._forget_derived()

    def _forget_derived(self) -> None:
        """What this knowledge base and its retriever built from the store goes (the
        store's own unit cache forgets itself on a write made here)."""
        self.retriever.invalidate()
        self._writes += 1
        self._catalogue = None
        self._articles.clear()

    async def passage_count(self) -> int:
        return await self.store.count()


def _checked_examples(where: str, examples: Sequence[str]) -> tuple[str, ...]:
    if len(examples) > MAX_EXAMPLES:
        raise InvalidInput(
            f"{where}.examples holds {len(examples)} examples; at most {MAX_EXAMPLES}",
            "too_many_examples",
        )
    checked: list[str] = []
    for index, example in enumerate(examples):
        text = " ".join(example.split())
        if not text:
            raise InvalidInput(f"{where}.examples[{index}] must not be empty", "empty_example")
        if len(text) > MAX_EXAMPLE_CHARS:
            raise InvalidInput(
                f"{where}.examples[{index}] is longer than {MAX_EXAMPLE_CHARS} characters",
                "example_too_long",
            )
        checked.append(text)
    return tuple(dict.fromkeys(checked))  # a repeated example says nothing more


def _slice_for(
    split: Sequence[Sequence[Passage]], index: int, vectors: Sequence[list[float]]
) -> Sequence[list[float]]:
    start = sum(len(units) for units in split[:index])
    return vectors[start : start + len(split[index])]


def _stored_article(document: Document, when: str) -> StoredArticle:
    return StoredArticle(document.title, document.category, document.content, when)


def _embedded_text(unit: Passage) -> str:
    # The title names the topic in the customer's words more often than the body does;
    # sentences stay bare so that they match on their own meaning.
    return f"{unit.title}. {unit.text}" if unit.kind == PASSAGE else unit.text
