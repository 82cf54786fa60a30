"""Units (passages and sentences) as Chroma rows: the metadata written, the rows read back.

Each unit is one row: its id (`Passage.passage_id`), its text as the row's document, and its
document, title, category, position, kind and ingest time as metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from supportflow.knowledge.documents import PASSAGE, Passage
from supportflow.knowledge.nearest import Ranked


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


def of_documents(doc_ids: Sequence[str]) -> dict[str, Any]:
    """The `where` filter of every row of the documents `doc_ids` (at least one), in any
    collection whose rows carry their `doc_id` (units, article examples)."""
    if len(doc_ids) == 1:
        return {"doc_id": doc_ids[0]}
    return {"doc_id": {"$in": list(doc_ids)}}


def unit_metadata(passage: Passage, when: str) -> dict[str, str | int]:
    """The metadata row of `passage`, ingested at `when`."""
    return {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "category": passage.category,
        "position": passage.position,
        "kind": passage.kind,
        "updated_at": when,
    }


def stored_unit(text: str, meta: Any) -> StoredPassage:
    """The unit a row holds (rows written before sentence units had no kind: passages)."""
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


def hits(ranked: Ranked, units: dict[str, Passage]) -> list[PassageHit]:
    """Ranked (id, cosine distance) pairs as hits; a unit deleted meanwhile is left out."""
    return [
        PassageHit(units[unit_id], 1.0 - float(distance))
        for unit_id, distance in ranked
        if unit_id in units
    ]
