"""Passages and their vectors in Chroma: embedded on disk, or a Chroma server.

One collection in cosine space, and beside it the documents' title vectors (title_store.py).
Chroma never embeds anything itself (its default function
would download a model): every vector comes from our `Embedder`. Chroma's client is
blocking, so every call runs in a worker thread. Nearest-neighbour queries of one kind from
concurrent rooms are micro-batched into one `collection.query` with many query vectors.

To use a Chroma server instead of the embedded store:
    chroma run --path /var/lib/supportflow/chroma --host 127.0.0.1 --port 8000
    SUPPORTFLOW_CHROMA_URL=http://127.0.0.1:8000

Every write also stamps the collection's metadata with a fresh random token, so that other
processes sharing a Chroma server can tell their caches went stale (see freshness.py). A
Chroma server that cannot be reached, times out or fails answers Unavailable
`knowledge_unavailable` (503) rather than an internal error.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

import httpx

from supportflow.errors import ConfigurationError, Unavailable
from supportflow.knowledge.batching import BatchPolicy, MicroBatcher
from supportflow.knowledge.documents import PASSAGE, SENTENCE, Passage
from supportflow.knowledge.nearest import FOLD_FACTOR, FOLD_MAX_BATCH, Ranked, split_by_kind
from supportflow.knowledge.title_store import (
    StoredArticle,
    StoredTitle,
    TitleStore,
    open_title_collection,
)
from supportflow.metrics import UNOBSERVED, Metrics

COLLECTION_NAME = "supportflow_passages"
# Rows per upsert: below Chroma's own maximum batch (~5,400 on SQLite), far above a document.
_UPSERT_CHUNK = 4000
# The collection-metadata key of the write token (freshness.py).
TOKEN_KEY = "supportflow_write_token"
# Chroma's HttpClient waits forever by default (httpx timeout=None): a hung server would hold
# a worker thread and the customer's reply for good. A large upsert chunk fits well within.
_HTTP_TIMEOUT_SECONDS = 30.0
_HTTP_CONNECT_SECONDS = 5.0
T = TypeVar("T")

NearestRequest = tuple[list[float], int]  # (query vector, how many units)
# (query vector, how many passages, how many sentences)
UnitsRequest = tuple[list[float], int, int]
BothKinds = tuple[list["PassageHit"], list["PassageHit"]]  # (passages, sentences)


@dataclass(frozen=True)
class StoredPassage:
    """A passage as kept in the store, with its ingest time."""

    passage: Passage
    updated_at: str


@dataclass(frozen=True)
class PassageHit:
    """A passage matched by a query, with its cosine similarity (1 is identical)."""

    passage: Passage
    similarity: float


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def _open_client(chroma_dir: Path | None, chroma_url: str | None) -> Any:
    import chromadb

    if chroma_url:
        parsed = urlparse(chroma_url)
        if not parsed.hostname:
            raise ConfigurationError(f"SUPPORTFLOW_CHROMA_URL is not a URL: {chroma_url!r}")
        try:
            client: Any = chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
        except ValueError as error:  # chromadb's word for "nothing answered the heartbeat"
            raise _unavailable(error) from error
        _bound_waits(client)
        return client
    if chroma_dir is None:
        raise ConfigurationError("an embedded vector store needs a directory")
    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=_chroma_settings())


def _open_collection(client: Any) -> Any:
    return client.get_or_create_collection(
        COLLECTION_NAME, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def _open_collections(client: Any) -> tuple[Any, TitleStore]:
    return _open_collection(client), TitleStore(open_title_collection(client, COLLECTION_NAME))


def _http_session(client: Any) -> httpx.Client | None:
    # chromadb offers neither a timeout setting nor a close() for its HTTP client; the httpx
    # session inside it is the seam for both.
    session = getattr(getattr(client, "_server", None), "_session", None)
    return session if isinstance(session, httpx.Client) else None


def _bound_waits(client: Any) -> None:
    session = _http_session(client)
    if session is not None:
        session.timeout = httpx.Timeout(_HTTP_TIMEOUT_SECONDS, connect=_HTTP_CONNECT_SECONDS)


def _unavailable(error: BaseException) -> Unavailable:
    return Unavailable(
        f"the knowledge base is unavailable (Chroma: {type(error).__name__}: {error})",
        "knowledge_unavailable",
    )


def _server_failures() -> tuple[type[BaseException], ...]:
    """What a Chroma server that is down, hung or failing raises (not our own bad calls)."""
    from chromadb.errors import InternalError, RateLimitError

    return (httpx.TransportError, InternalError, RateLimitError, ConnectionError)


def _guarded(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work(*args)`, with a server's failure turned into Unavailable `knowledge_unavailable`."""
    try:
        return work(*args, **kwargs)
    except _server_failures() as error:
        raise _unavailable(error) from error


class UnitCache:
    """Stored units by id, so a query asks Chroma for ids and distances only.

    Profiling 50 concurrent rooms showed Chroma spending two thirds of a batched query on
    reading back documents and metadata; the units themselves change only when this process
    writes them. Every write bumps the generation, and a read that began before a write
    never fills the cache, so a stale unit cannot outlive the write that replaced it. With a
    Chroma server other processes write too: their writes reach this cache through
    `PassageStore.forget_cached_units`, called when the write token moved (freshness.py), so
    a unit re-ingested elsewhere may be served as it was for one check interval at most.
    """

    def __init__(self) -> None:
        self._units: dict[str, Passage] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def lookup(self, ids: Sequence[str]) -> tuple[dict[str, Passage], list[str], int]:
        """(known units, missing ids, the generation to hand back to `fill`)."""
        with self._lock:
            known = {i: self._units[i] for i in ids if i in self._units}
            return known, [i for i in ids if i not in known], self._generation

    def fill(self, units: dict[str, Passage], generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._units.update(units)

    def invalidate(self) -> None:
        with self._lock:
            self._units.clear()
            self._generation += 1


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
    ) -> None:
        self._client = client
        self._collection = collection
        self.titles = titles
        self._cache = UnitCache() if cache_units else None
        self._nearest = {
            kind: MicroBatcher[NearestRequest, list[PassageHit]](
                partial(_guarded, self._query_blocking, kind=kind),
                policy or BatchPolicy(),
                metrics.observe_vector_query,
                name=f"chroma-{kind}",
            )
            for kind in (PASSAGE, SENTENCE)
        }
        self._units = MicroBatcher[UnitsRequest, BothKinds](
            partial(_guarded, self._query_units_blocking),
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

        def open_blocking() -> tuple[Any, Any, TitleStore]:
            client = _open_client(chroma_dir, chroma_url)
            return client, *_open_collections(client)

        client, collection, titles = await asyncio.to_thread(_guarded, open_blocking)
        return cls(client, collection, titles, policy, metrics=metrics)

    async def close(self) -> None:
        """Close the connections to a Chroma server (nothing to do for the embedded store)."""
        session = _http_session(self._client)
        if session is not None:
            await asyncio.to_thread(session.close)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        return await asyncio.to_thread(_guarded, work, *args)

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
    ) -> None:
        """Make `units` the whole of every document in `doc_ids`, in as few calls as possible,
        and `titles` (by doc_id) their title vectors.

        One delete for all the documents' old units, then upserts of thousands of rows:
        per-document round trips cost more than the writes themselves on a large ingest.
        """
        await self._run(self._replace_many_blocking, doc_ids, units, vectors, when, titles)

    def _replace_many_blocking(
        self,
        doc_ids: Sequence[str],
        units: Sequence[Passage],
        vectors: Sequence[list[float]],
        when: str,
        titles: Mapping[str, StoredTitle],
    ) -> None:
        if not doc_ids:
            return
        # Titles before passages: an index build reads passages, then titles, so one that
        # sees a document's new passages finds its new title stored too.
        self.titles.put(titles)
        where: dict[str, Any] = (
            {"doc_id": doc_ids[0]} if len(doc_ids) == 1 else {"doc_id": {"$in": list(doc_ids)}}
        )
        try:
            self._collection.delete(where=where)
            for start in range(0, len(units), _UPSERT_CHUNK):
                chunk = units[start : start + _UPSERT_CHUNK]
                self._collection.upsert(
                    ids=[unit.passage_id for unit in chunk],
                    embeddings=list(vectors[start : start + _UPSERT_CHUNK]),
                    documents=[unit.text for unit in chunk],
                    metadatas=[_metadata(unit, when) for unit in chunk],
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
                _stored(text, meta)
                for text, meta in zip(found["documents"], found["metadatas"], strict=True)
            ]
            return sorted(rows, key=lambda row: (row.passage.doc_id, row.passage.position))

        return await self._run(read)

    async def title_vectors(self) -> dict[str, StoredTitle]:
        """Every stored title vector by doc_id, whole (one read; titles.py uses them)."""
        return await self._run(self.titles.read)

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

    def _working(self) -> bool:
        return self._units.working or any(b.working for b in self._nearest.values())

    def _query_units_blocking(self, requests: list[UnitsRequest]) -> list[BothKinds]:
        asked = FOLD_FACTOR * max(p + s for _, p, s in requests)
        found = self._collection.query(
            query_embeddings=[vector for vector, _, _ in requests],
            n_results=asked,
            include=["distances"],
        )
        ranked: list[tuple[Ranked, Ranked]] = []
        for (vector, p, s), ids, distances in zip(
            requests, found["ids"], found["distances"], strict=True
        ):
            split = split_by_kind(ids, distances, {PASSAGE: p, SENTENCE: s}, asked)
            for kind in split.short:
                # Too few of this kind among the nearest: ask for it alone (rare).
                limit = p if kind == PASSAGE else s
                alone = self._collection.query(
                    query_embeddings=[vector],
                    n_results=limit,
                    where={"kind": kind},
                    include=["distances"],
                )
                split.by_kind[kind] = list(zip(alone["ids"][0], alone["distances"][0], strict=True))
            ranked.append((split.by_kind[PASSAGE], split.by_kind[SENTENCE]))
        units = self._units_by_id(
            [[unit_id for unit_id, _ in kind] for pair in ranked for kind in pair]
        )
        return [(_hits(passages, units), _hits(sentences, units)) for passages, sentences in ranked]

    def _units_by_id(self, id_rows: list[list[str]]) -> dict[str, Passage]:
        """The units of these ids: from the cache, the rest read in one get()."""
        wanted = list(dict.fromkeys(i for row in id_rows for i in row))
        if self._cache is None:
            known: dict[str, Passage] = {}
            missing, generation = wanted, 0
        else:
            known, missing, generation = self._cache.lookup(wanted)
        if missing:
            found = self._collection.get(ids=missing, include=["documents", "metadatas"])
            fetched = {
                unit_id: _stored(text, meta).passage
                for unit_id, text, meta in zip(
                    found["ids"], found["documents"], found["metadatas"], strict=True
                )
            }
            if self._cache is not None:
                self._cache.fill(fetched, generation)
            known.update(fetched)
        return known

    def _query_blocking(self, requests: list[NearestRequest], kind: str) -> list[list[PassageHit]]:
        # No count() first: Chroma answers fewer rows than n_results (none from an empty
        # collection) by itself, and on a server that count was one more round trip per query.
        most = max(limit for _, limit in requests)
        query_embeddings = [vector for vector, _ in requests]
        if self._cache is None:
            found = self._collection.query(
                query_embeddings=query_embeddings,
                n_results=most,
                where={"kind": kind},
                include=["documents", "metadatas", "distances"],
            )
            rows: list[list[Passage | None]] = [
                [_stored(text, meta).passage for text, meta in zip(texts, metas, strict=True)]
                for texts, metas in zip(found["documents"], found["metadatas"], strict=True)
            ]
        else:
            found = self._collection.query(
                query_embeddings=query_embeddings,
                n_results=most,
                where={"kind": kind},
                include=["distances"],
            )
            rows = self._cached_units(found["ids"])
        return [
            [
                PassageHit(passage, 1.0 - float(distance))
                for passage, distance in zip(passages, distances, strict=True)
                if passage is not None
            ][:limit]
            for (_, limit), passages, distances in zip(
                requests, rows, found["distances"], strict=True
            )
        ]

    def _cached_units(self, id_rows: list[list[str]]) -> list[list[Passage | None]]:
        known = self._units_by_id(id_rows)
        # None: a unit deleted between the query and the read; the hit is left out.
        return [[known.get(i) for i in row] for row in id_rows]


def _hits(ranked: Ranked, units: dict[str, Passage]) -> list[PassageHit]:
    # A unit deleted between the query and the read is left out.
    return [
        PassageHit(units[unit_id], 1.0 - float(distance))
        for unit_id, distance in ranked
        if unit_id in units
    ]


def _metadata(passage: Passage, when: str) -> dict[str, str | int]:
    return {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "category": passage.category,
        "position": passage.position,
        "kind": passage.kind,
        "updated_at": when,
    }


def _stored(text: str, meta: Any) -> StoredPassage:
    fields = cast(dict[str, Any], meta)
    passage = Passage(
        doc_id=str(fields["doc_id"]),
        title=str(fields["title"]),
        category=str(fields["category"]),
        position=int(fields["position"]),
        text=text,
        kind=str(fields.get("kind", PASSAGE)),
    )
    return StoredPassage(passage, str(fields["updated_at"]))
