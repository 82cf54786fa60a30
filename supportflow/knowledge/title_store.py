"""Title vectors kept in Chroma beside the passages, so no start-up embeds them again.

A collection of their own, one row per document (id: the doc_id, document: the title,
embedding: the title's vector, metadata: the article as ingested, its category and content
in Markdown, for the help center and the answerer, which need it whole; passages overlap
and may cut a long list). Not rows of the passage collection: that one's HNSW index
would then hold the titles too, and its nearest-neighbour answers could shift; this way
the passage collection receives exactly the writes it always did, and a reply still
queries only it (two calls: passages and sentences). The titles are read back whole, once
per index build, never searched.

The title stored with each vector is what a reader checks it against: a vector is used
only for the title it was embedded from, so a row left stale (a node running code from
before this collection re-titled a document, or a backfill raced an ingest) is embedded
again rather than trusted. The methods block: PassageStore calls them in its worker
threads, inside the same calls as its own writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Vector = list[float]
# Rows per upsert: below Chroma's maximum batch (~5,400 on SQLite), as for passages.
_UPSERT_CHUNK = 4000


@dataclass(frozen=True)
class StoredTitle:
    """A document's title and the vector embedded from exactly that text."""

    title: str
    vector: Vector
    # The article itself, written with its title at ingest; None where only the vector is
    # (re)stored, which leaves a row's article as it was.
    article: StoredArticle | None = None


@dataclass(frozen=True)
class StoredArticle:
    """A document as ingested: what the help center shows and the answerer quotes."""

    title: str
    category: str
    content: str  # Markdown, as written
    updated_at: str


class TitleStore:
    """Blocking reads and writes of title vectors by doc_id."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def put(self, titles: Mapping[str, StoredTitle]) -> None:
        """Store (replacing) the title vector of every doc_id in `titles`."""
        doc_ids = list(titles)
        for start in range(0, len(doc_ids), _UPSERT_CHUNK):
            chunk = doc_ids[start : start + _UPSERT_CHUNK]
            rows = [titles[doc_id] for doc_id in chunk]
            articles = [_article_metadata(row.article) for row in rows]
            # Left out, Chroma keeps a row's metadata: a vector stored again alone
            # (titles.py) does not erase its article.
            extra: dict[str, Any] = {"metadatas": articles} if any(articles) else {}
            self.collection.upsert(
                ids=chunk,
                embeddings=[row.vector for row in rows],
                documents=[row.title for row in rows],
                **extra,
            )

    def delete(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:  # Chroma refuses an empty id list
            self.collection.delete(ids=list(doc_ids))

    def article(self, doc_id: str) -> StoredArticle | None:
        """The article stored with `doc_id`'s title, or None (no row, or a row from before
        articles were kept)."""
        found = self.collection.get(ids=[doc_id], include=["documents", "metadatas"])
        if not found["ids"]:
            return None
        meta = (found["metadatas"] or [None])[0]
        if not meta or not isinstance(meta.get("content"), str):
            return None
        return StoredArticle(
            str(found["documents"][0]),
            str(meta.get("category", "")),
            str(meta["content"]),
            str(meta.get("updated_at", "")),
        )

    def read(self) -> dict[str, StoredTitle]:
        """Every stored title vector, by doc_id (one request)."""
        found = self.collection.get(include=["documents", "embeddings"])
        vectors = found["embeddings"]
        if vectors is None or len(found["ids"]) == 0:
            return {}
        # A float32 matrix (embedded Chroma) or lists (a server): one conversion in C
        # either way, not a Python loop per float.
        rows: list[Vector] = np.asarray(vectors, dtype=np.float32).tolist()
        return {
            str(doc_id): StoredTitle(str(title), row)
            for doc_id, title, row in zip(found["ids"], found["documents"], rows, strict=True)
        }


def _article_metadata(article: StoredArticle | None) -> dict[str, str] | None:
    if article is None:
        return None
    return {
        "category": article.category,
        "content": article.content,
        "updated_at": article.updated_at,
    }
