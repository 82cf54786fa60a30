"""The nearest units of a question, read from Chroma (blocking; PassageStore runs them in
worker threads, a batch of concurrent rooms' questions at a time).

Two shapes: one query filtered by kind (`nearest_of_kind`), and one unfiltered query for
both kinds split by kind afterwards (`nearest_of_both_kinds`, see nearest.py for why and
when it pays). Either asks Chroma for ids and distances only when a unit cache is given,
and reads the units themselves from the cache, the rest in one `get`.
"""

from __future__ import annotations

from typing import Any

from supportflow.knowledge import nearest
from supportflow.knowledge.documents import PASSAGE, SENTENCE, Passage
from supportflow.knowledge.nearest import Ranked, split_by_kind
from supportflow.knowledge.unit_cache import UnitCache
from supportflow.knowledge.unit_rows import PassageHit, hits, stored_unit

NearestRequest = tuple[list[float], int]  # (query vector, how many units)
# (query vector, how many passages, how many sentences)
UnitsRequest = tuple[list[float], int, int]
BothKinds = tuple[list[PassageHit], list[PassageHit]]  # (passages, sentences)


def nearest_of_kind(
    collection: Any, cache: UnitCache | None, requests: list[NearestRequest], kind: str
) -> list[list[PassageHit]]:
    """For each (vector, limit): the `limit` nearest units of `kind`, most similar first."""
    # No count() first: Chroma answers fewer rows than n_results (none from an empty
    # collection) by itself, and on a server that count was one more round trip per query.
    most = max(limit for _, limit in requests)
    query_embeddings = [vector for vector, _ in requests]
    if cache is None:
        found = collection.query(
            query_embeddings=query_embeddings,
            n_results=most,
            where={"kind": kind},
            include=["documents", "metadatas", "distances"],
        )
        rows: list[list[Passage | None]] = [
            [stored_unit(text, meta).passage for text, meta in zip(texts, metas, strict=True)]
            for texts, metas in zip(found["documents"], found["metadatas"], strict=True)
        ]
    else:
        found = collection.query(
            query_embeddings=query_embeddings,
            n_results=most,
            where={"kind": kind},
            include=["distances"],
        )
        known = units_by_id(collection, cache, found["ids"])
        # None: a unit deleted between the query and the read; the hit is left out.
        rows = [[known.get(i) for i in row] for row in found["ids"]]
    return [
        [
            PassageHit(passage, 1.0 - float(distance))
            for passage, distance in zip(passages, distances, strict=True)
            if passage is not None
        ][:limit]
        for (_, limit), passages, distances in zip(requests, rows, found["distances"], strict=True)
    ]


def nearest_of_both_kinds(
    collection: Any, cache: UnitCache | None, requests: list[UnitsRequest]
) -> list[BothKinds]:
    """For each (vector, passages, sentences): that many nearest of each kind, from one
    unfiltered query for all (a kind left short is asked alone, filtered)."""
    asked = nearest.FOLD_FACTOR * max(p + s for _, p, s in requests)
    found = collection.query(
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
            alone = collection.query(
                query_embeddings=[vector],
                n_results=limit,
                where={"kind": kind},
                include=["distances"],
            )
            split.by_kind[kind] = list(zip(alone["ids"][0], alone["distances"][0], strict=True))
        ranked.append((split.by_kind[PASSAGE], split.by_kind[SENTENCE]))
    units = units_by_id(
        collection, cache, [[unit_id for unit_id, _ in kind] for pair in ranked for kind in pair]
    )
    return [(hits(passages, units), hits(sentences, units)) for passages, sentences in ranked]


def units_by_id(
    collection: Any, cache: UnitCache | None, id_rows: list[list[str]]
) -> dict[str, Passage]:
    """The units of these ids: from the cache, the rest read in one get()."""
    wanted = list(dict.fromkeys(i for row in id_rows for i in row))
    if cache is None:
        known: dict[str, Passage] = {}
        missing, generation = wanted, 0
    else:
        known, missing, generation = cache.lookup(wanted)
    if missing:
        found = collection.get(ids=missing, include=["documents", "metadatas"])
        fetched = {
            unit_id: stored_unit(text, meta).passage
            for unit_id, text, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        }
        if cache is not None:
            cache.fill(fetched, generation)
        known.update(fetched)
    return known
