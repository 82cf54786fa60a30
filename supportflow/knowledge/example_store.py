"""Article examples kept in Chroma beside the passages: what customers write, by article.

An article may carry examples of the messages it answers, in customers' words ("phone says
emergency calls only since this morning" for "No signal"); article_examples.py explains how
retrieval reads them. They are embedded at ingest, in the passages' batch, and kept here so
no start embeds them again: a collection of their own, one row per example (id
`<doc_id>::e<position>`, document: the example as written, embedding: its vector,
metadata: the doc_id). Not rows of the passage collection: a reply's query for passages and
sentences is one unfiltered nearest-neighbour query (nearest.py), and examples among its
results would crowd out the units it asks for. The rows are read back whole, once per index
build, never searched. The methods block: PassageStore calls them in its worker threads,
inside the same calls as its own writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from supportflow.knowledge.unit_rows import of_documents

Vector = list[float]
Matrix = npt.NDArray[np.float32]
# Rows per upsert: below Chroma's maximum batch (~5,400 on SQLite), as for passages.
_UPSERT_CHUNK = 4000


@dataclass(frozen=True)
class StoredExample:
    """One example of an article, with the vector embedded from it."""

    doc_id: str
    position: int  # its place among the article's examples
    text: str
    vector: Vector

    @property
    def row_id(self) -> str:
        return f"{self.doc_id}::e{self.position}"


@dataclass(frozen=True)
class ExampleVectors:
    """Every stored example's article and vector: one row of `vectors` per `doc_ids` entry."""

    doc_ids: tuple[str, ...]
    vectors: Matrix


NO_EXAMPLES = ExampleVectors((), np.zeros((0, 0), dtype=np.float32))


class ExampleStore:
    """Blocking reads and writes of article examples by doc_id."""

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    def replace(self, doc_ids: Sequence[str], examples: Sequence[StoredExample]) -> None:
        """Make `examples` the whole of the examples of every document in `doc_ids`."""
        self.delete(doc_ids)
        for start in range(0, len(examples), _UPSERT_CHUNK):
            chunk = examples[start : start + _UPSERT_CHUNK]
            self.collection.upsert(
                ids=[example.row_id for example in chunk],
                embeddings=[example.vector for example in chunk],
                documents=[example.text for example in chunk],
                metadatas=[{"doc_id": example.doc_id} for example in chunk],
            )

    def delete(self, doc_ids: Sequence[str]) -> None:
        if doc_ids:  # of_documents needs one
            self.collection.delete(where=of_documents(doc_ids))

    def texts(self, doc_id: str) -> list[str]:
        """One article's examples as written, in their order."""
        found = self.collection.get(where={"doc_id": doc_id}, include=["documents"])
        rows = sorted(zip(found["ids"], found["documents"] or [], strict=True), key=_position)
        return [str(text) for _, text in rows]

    def read(self) -> ExampleVectors:
        """Every stored example's doc_id and vector (one request)."""
        found = self.collection.get(include=["metadatas", "embeddings"])
        vectors = found["embeddings"]
        if vectors is None or len(found["ids"]) == 0:
            return NO_EXAMPLES
        doc_ids = tuple(str((meta or {}).get("doc_id", "")) for meta in found["metadatas"] or [])
        # A float32 matrix (embedded Chroma) or lists (a server): one conversion either way.
        return ExampleVectors(doc_ids, np.asarray(vectors, dtype=np.float32))


def _position(row: tuple[Any, Any]) -> int:
    return int(str(row[0]).rpartition("::e")[2])
