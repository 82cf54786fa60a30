"""One nearest-neighbour query for both kinds of unit (passages and sentences).

Retrieval wants the 20 nearest passages and the 40 nearest sentences of a question. Asked
as two queries filtered by kind, Chroma spends most of each on the metadata filter: on the
demo knowledge base (127 passages, 774 sentences) 3.0 ms and 6.8 ms, against 2.8 ms for
one unfiltered query of the nearest 300 units with distances only (in-process; the
docs/performance.md has the figures). So the store asks once, unfiltered, for
`FOLD_FACTOR` times the units wanted, and splits the answer by kind. That pays for a
question alone (one room, or a quiet node); many questions at once are cheaper as two
filtered queries, each batched (`PassageStore.nearest_units` picks).

The split is exact, not an approximation of the filtered queries: the k nearest passages
among the n nearest units *are* the k nearest passages whenever at least k passages are
among them. When fewer are (a question far from every passage, a knowledge base of unusual
shape), that kind alone is asked again with the filter, as before; when the query returned
fewer than n units, it returned the whole collection, and nothing is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from supportflow.knowledge.documents import PASSAGE, SENTENCE

# A passage (800 characters) holds about six sentences, so units are ~1 passage to 6
# sentences; 5x the 60 units wanted held 20 passages and 40 sentences for every one of the
# dev set's 270 retrieval questions and the benchmark's 20 (3.3x left 8 of the 270 short).
FOLD_FACTOR = 5

# Most query vectors one unfiltered query takes. Its cost grows with vectors x 300 units:
# in-process on the demo knowledge base, 1 vector 4.3 ms against 10.5 ms for the filtered
# pair, 4 vectors 7.2 against 10.6, 16 vectors 23.4 against 21.5 (the pair also runs its two
# queries side by side). Under load the store uses the filtered, batched pair instead.
FOLD_MAX_BATCH = 4

Ranked = list[tuple[str, float]]  # (unit id, cosine distance), nearest first


@dataclass(frozen=True)
class Split:
    """One query's nearest units by kind, and the kinds it holds too few of."""

    by_kind: dict[str, Ranked]
    short: tuple[str, ...]


def kind_of(unit_id: str) -> str:
    """The kind of a stored unit, read from its id (`Passage.passage_id`: "doc::3" is a
    passage, "doc::s3" a sentence; document ids never hold "::")."""
    return SENTENCE if unit_id.rpartition("::")[2].startswith("s") else PASSAGE


def split_by_kind(
    ids: Sequence[str], distances: Sequence[float], limits: Mapping[str, int], asked: int
) -> Split:
    """The nearest `limits[kind]` units of each kind among one unfiltered answer.

    `asked` is the n_results the query used: an answer shorter than that is the whole
    collection, so no kind can be short of units that exist.
    """
    by_kind: dict[str, Ranked] = {kind: [] for kind in limits}
    for unit_id, distance in zip(ids, distances, strict=True):
        kept = by_kind.get(kind_of(unit_id))
        if kept is not None and len(kept) < limits[kind_of(unit_id)]:
            kept.append((unit_id, distance))
    whole = len(ids) < asked
    short = tuple(
        kind for kind, limit in limits.items() if not whole and len(by_kind[kind]) < limit
    )
    return Split(by_kind, short)
