"""Passages and their vectors in Chroma: the knowledge base's store, async and batched.

One collection in cosine space, and beside it the documents' title vectors (title_store.py)
and their articles' examples (example_store.py).
Chroma's client is blocking, so every call runs in a worker thread, its failures mapped to
Unavailable `knowledge_unavailable` (chroma_errors.py). Nearest-neighbour queries from
concurrent rooms are micro-batched (batching.py) into one `collection.query` with many query
vectors (unit_queries.py), the units read back through a cache (unit_cache.py). Opening the
embedded store or a Chroma server is chroma_client.py's.

Every write also stamps the collection's metadata with a fresh random token, so that other
processes sharing a Chroma server can tell their caches went stale (see freshness.py).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from supportflow.knowledge.batching import BatchPolicy, MicroBatcher
from supportflow.knowledge.chroma_client import (
    COLLECTION_NAME,
    close_client,
    open_client,
    open_collections,
)
from supportflow.knowledge.chroma_errors import guarded
from supportflow.knowledge.documents import PASSAGE, SENTENCE, Passage
from supportflow.knowledge.example_store import (
    NO_EXAMPLES,
    ExampleStore,
    ExampleVectors,
    StoredExample,
)
from supportflow.knowledge.nearest import FOLD_MAX_BATCH
from supportflow.knowledge.title_store import StoredArticle, StoredTitle, TitleStore
from supportflow.knowledge.unit_cache import UnitCache
from supportflow.knowledge.unit_queries import (
    BothKinds,
    NearestRequest,
    UnitsRequest,
    nearest_of_both_kinds,
    nearest_of_kind,
)
from supportflow.knowledge.unit_rows import (
    PassageHit,
    StoredPassage,
    of_documents,
    stored_unit,
    unit_metadata,
)
from supportflow.metrics import UNOBSERVED, Metrics

__all__ = ["COLLECTION_NAME", "TOKEN_KEY", "PassageHit", "PassageStore", "StoredPassage"]

# Rows per upsert: below Chroma's own maximum batch (~5,400 on SQLite), far above a document.
_UPSERT_CHUNK = 4000
# The collection-metadata key of the write token (freshness.py).
TOKEN_KEY = "supportflow_write_token"
T = TypeVar("T")


class PassageStore:
    """The vector store behind the knowledge base (async facade over Chroma)."""

    def __init__(
        self,
        client: Any,
        collection: Any,
        titles: TitleStore,
        policy: BatchPolicy | None = None,
        cache_units: bool = True,
        metrics: Metrics = UNOBSERVED,
        examples: ExampleStore | None = None,
    ) -> None:
        """`examples`: where article examples are kept; None for a store over a bare
        collection (some tests), which keeps none and reads back none."""
        self._client = client
        self._collection = collection
        self.titles = titles
        self.examples = examples
        self._cache = UnitCache() if cache_units else None
        self._nearest = {
            kind: MicroBatcher[NearestRequest, list[PassageHit]](
                partial(guarded, self._query_blocking, kind=kind),
                policy or BatchPolicy(),
                metrics.observe_vector_query,
                name=f"chroma-{kind}",
            )
            for kind in (PASSAGE, SENTENCE)
        }
        self._units = MicroBatcher[UnitsRequest, BothKinds](
            partial(guarded, self._query_units_blocking),
            policy or BatchPolicy(),
            metrics.observe_vector_query,
            name="chroma-units",
        )

    @classmethod
    async def open(
        cls,
        chroma_dir: Path | None,
        chroma_url: str | None,
        policy: BatchPolicy | None = None,
        metrics: Metrics = UNOBSERVED,
    ) -> PassageStore:
        """Open (creating if needed) the collection; Unavailable when no server answers."""

        def open_blocking() -> tuple[Any, Any, TitleStore, ExampleStore]:
            client = open_client(chroma_dir, chroma_url)
            return client, *open_collections(client)

        client, collection, titles, examples = await asyncio.to_thread(guarded, open_blocking)
        return cls(client, collection, titles, policy, metrics=metrics, examples=examples)

    async def close(self) -> None:
        """Close the connections to a Chroma server (nothing to do for the embedded store)."""
        await asyncio.to_thread(close_client, self._client)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(guarded, work, *args)

    async def count(self) -> int:
        """How many passages (not sentence units) are stored."""

        def count_passages() -> int:
            return len(self._collection.get(where={"kind": PASSAGE}, include=[])["ids"])

        return await self._run(count_passages)

    async def write_token(self) -> str | None:
        """The token the last write left in the collection's metadata (None: never written).

        Read from the server each time (one small request): the collection object this
        process holds keeps the metadata it had when it was opened.
        """

        def read() -> str | None:
            found = self._client.get_collection(COLLECTION_NAME, embedding_function=None)
            token = (found.metadata or {}).get(TOKEN_KEY)
            return None if token is None else str(token)

        return await self._run(read)

    def forget_cached_units(self) -> None:
        """Drop the unit cache: another process may have rewritten any unit."""
        if self._cache is not None:
            self._cache.invalidate()

    def _stamp_write(self) -> None:
        # A fresh random token, not a counter: two nodes incrementing at once could both
        # write N+1, and a node that read N+1 between them would miss the second write.
        self._collection.modify(metadata={TOKEN_KEY: uuid.uuid4().hex})

    async def replace_documents(
        self,
        doc_ids: Sequence[str],
        units: Sequence[Passage],
        vectors: Sequence[list[float]],
        when: str,
        titles: Mapping[str, StoredTitle],
        examples: Sequence[StoredExample] = (),
    ) -> None:
        """Make `units` the whole of every document in `doc_ids`, in as few calls as possible,
        `titles` (by doc_id) their title vectors and `examples` their articles' examples.

        One delete for all the documents' old units, then upserts of thousands of rows:
        per-document round trips cost more than the writes themselves on a large ingest.
        """
        await self._run(
            self._replace_many_blocking, doc_ids, units, vectors, when, titles, examples
        )

    def _replace_many_blocking(
        self,
        doc_ids: Sequence[str],
        units: Sequence[Passage],
        vectors: Sequence[list[float]],
        when: str,
        titles: Mapping[str, StoredTitle],
        examples: Sequence[StoredExample],
    ) -> None:
        if not doc_ids:
            return
        # Titles and examples before passages: an index build reads passages, then the
        # others, so one that sees a document's new passages finds its new title and
        # examples stored too.
        self.titles.put(titles)
        if self.examples is not None:
            self.examples.replace(doc_ids, examples)
        try:
            self._collection.delete(where=of_documents(doc_ids))
            for start in range(0, len(units), _UPSERT_CHUNK):
                chunk = units[start : start + _UPSERT_CHUNK]
                self._collection.upsert(
                    ids=[unit.passage_id for unit in chunk],
                    embeddings=list(vectors[start : start + _UPSERT_CHUNK]),
                    documents=[unit.text for unit in chunk],
                    metadatas=[unit_metadata(unit, when) for unit in chunk],
                )
        finally:
            # After the write (a read that began before this point never fills the cache),
            # and even after a failed one, which may have deleted or written part.
            self.forget_cached_units()
        self._stamp_write()

    async def delete_document(self, doc_id: str) -> int:
        """Remove every unit of `doc_id`; returns how many passages there were."""

        def delete() -> int:
            found = self._collection.get(where={"doc_id": doc_id}, include=["metadatas"])
            if found["ids"]:
                try:
                    self._collection.delete(ids=found["ids"])
                    # After the passages: a title without passages is never read into an index.
                    self.titles.delete([doc_id])
                    if self.examples is not None:
                        self.examples.delete([doc_id])
                finally:
                    self.forget_cached_units()
                self._stamp_write()
            kinds = [meta.get("kind", PASSAGE) for meta in found["metadatas"] or []]
            return kinds.count(PASSAGE)

        return await self._run(delete)

    async def passages(self, doc_id: str | None = None) -> list[StoredPassage]:
        """Every stored passage (of one document when `doc_id` is given), in order.

        Sentence units are left out: they repeat the passages' text.
        """

        def read() -> list[StoredPassage]:
            where: dict[str, Any] = {"kind": PASSAGE}
            if doc_id is not None:
                where = {"$and": [where, {"doc_id": doc_id}]}
            found = self._collection.get(where=where, include=["documents", "metadatas"])
            rows = [
                stored_unit(text, meta)
                for text, meta in zip(found["documents"], found["metadatas"], strict=True)
            ]
            return sorted(rows, key=lambda row: (row.passage.doc_id, row.passage.position))

        return await self._run(read)

    async def title_vectors(self) -> dict[str, StoredTitle]:
        """Every stored title vector by doc_id, whole (one read; titles.py uses them)."""
        return await self._run(self.titles.read)

    async def example_vectors(self) -> ExampleVectors:
        """Every article example's doc_id and vector (one read; article_examples.py)."""
        if self.examples is None:
            return NO_EXAMPLES
        return await self._run(self.examples.read)

    async def example_texts(self, doc_id: str) -> list[str]:
        """One article's examples as written (none for a store that keeps none)."""
        if self.examples is None:
            return []
        return await self._run(self.examples.texts, doc_id)

    async def article(self, doc_id: str) -> StoredArticle | None:
        """The article as ingested (title_store.py), or None when it was not kept."""
        return await self._run(self.titles.article, doc_id)

    async def store_title_vectors(self, titles: Mapping[str, StoredTitle]) -> None:
        """Store title vectors embedded after ingest (a knowledge base older than them).

        No write token: the passages did not change, so no other node's caches went stale.
        """
        await self._run(self.titles.put, titles)

    async def nearest(self, vector: list[float], limit: int, kind: str) -> list[PassageHit]:
        """The `limit` units of `kind` closest to `vector`, most similar first."""
        batcher = self._nearest.get(kind)
        if batcher is None:
            found = await self._run(self._query_blocking, [(vector, limit)], kind)
            return found[0]
        return await batcher.submit((vector, limit))

    async def nearest_units(self, vector: list[float], passages: int, sentences: int) -> BothKinds:
        """The `passages` nearest passages and `sentences` nearest sentences to `vector`,
        most similar first: the same units either way (nearest.py).

        While Chroma is idle, from one unfiltered query (the few requests of the same
        moment, a follow-up's two readings, share it); while it is busy, one filtered
        query per kind, each batched with other rooms'. An unfiltered query pays per
        vector for its 300 units, so it wins alone and loses in large batches.
        """
        if self._working() or self._units.queued >= FOLD_MAX_BATCH:
            found_passages, found_sentences = await asyncio.gather(
                self.nearest(vector, passages, PASSAGE), self.nearest(vector, sentences, SENTENCE)
            )
            return found_passages, found_sentences
        return await self._units.submit((vector, passages, sentences))

    async def nearest_in_document(self, vector: list[float], doc_id: str, limit: int) -> BothKinds:
        """Up to `limit` passages and `limit` sentences of one document, closest to `vector`
        first (none when it is not stored): for an article retrieval knows it wants."""

        def query() -> BothKinds:
            found = self._collection.query(
                query_embeddings=[vector],
                n_results=2 * limit,
                where={"doc_id": doc_id},
                include=["documents", "metadatas", "distances"],
            )
            units = [
                PassageHit(stored_unit(text, meta).passage, 1.0 - float(distance))
                for text, meta, distance in zip(
                    found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
                )
            ]
            by_kind = [
                [hit for hit in units if hit.passage.kind == kind] for kind in (PASSAGE, SENTENCE)
            ]
            return by_kind[0][:limit], by_kind[1][:limit]

        return await self._run(query)

    def _working(self) -> bool:
        return self._units.working or any(b.working for b in self._nearest.values())

    def _query_units_blocking(self, requests: list[UnitsRequest]) -> list[BothKinds]:
        return nearest_of_both_kinds(self._collection, self._cache, requests)

    def _query_blocking(self, requests: list[NearestRequest], kind: str) -> list[list[PassageHit]]:
        return nearest_of_kind(self._collection, self._cache, requests, kind)
