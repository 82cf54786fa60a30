"""Both kinds of unit from one Chroma query: the same units, in the same order and with the
same similarities, as one filtered query per kind; and a kind the nearest units hold too few
of is asked for alone."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import numpy as np
import pytest

from supportflow.knowledge import nearest
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import PASSAGE, SENTENCE, Passage
from supportflow.knowledge.nearest import FOLD_FACTOR, FOLD_MAX_BATCH, kind_of, split_by_kind
from supportflow.knowledge.passage_store import PassageHit, PassageStore
from supportflow.metrics import Metrics

QUESTIONS = [
    "How do I set up voicemail?",
    "What does roaming cost per day?",
    "My eSIM does not show up",
    "Which APN should I use?",
    "Can I reset my voicemail PIN?",
]


def test_the_kind_is_read_from_the_unit_id() -> None:
    passage = Passage("plans-2024", "Plans", "billing", 3, "text")
    sentence = Passage("plans-2024", "Plans", "billing", 3, "text", kind=SENTENCE)
    assert kind_of(passage.passage_id) == PASSAGE
    assert kind_of(sentence.passage_id) == SENTENCE
    assert kind_of("s-is-a-doc::0") == PASSAGE  # an "s" in the document id is not a marker


def test_a_split_keeps_the_nearest_of_each_kind_and_names_a_short_one() -> None:
    ids = ["a::0", "a::s0", "a::s1", "b::s0", "b::0", "b::s1"]
    distances = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    split = split_by_kind(ids, distances, {PASSAGE: 3, SENTENCE: 2}, asked=6)
    assert split.by_kind[PASSAGE] == [("a::0", 0.1), ("b::0", 0.5)]
    assert split.by_kind[SENTENCE] == [("a::s0", 0.2), ("a::s1", 0.3)]
    assert split.short == (PASSAGE,)  # 2 of 3 passages, and more units may exist
    # Fewer units than asked for: that was the whole collection, nothing is missing.
    assert split_by_kind(ids, distances, {PASSAGE: 3, SENTENCE: 2}, asked=7).short == ()


class Recorded:
    """A collection that records each query's `where` filter (None: unfiltered)."""

    def __init__(self, inner: Any, gate: threading.Event | None = None) -> None:
        self._inner = inner
        self.filters: list[object] = []
        self._gate = gate  # when set up, the first query waits for it
        self.entered = threading.Event()  # the first query has started

    def query(self, **kwargs: Any) -> Any:
        self.filters.append(kwargs.get("where"))
        if self._gate is not None and len(self.filters) == 1:
            self.entered.set()
            self._gate.wait()
        return self._inner.query(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _shape(hits: list[PassageHit]) -> tuple[list[str], list[float]]:
    return [hit.passage.passage_id for hit in hits], [hit.similarity for hit in hits]


async def _filtered(
    store: PassageStore, vector: list[float], limit: int, kind: str
) -> list[PassageHit]:
    return (await asyncio.to_thread(store._query_blocking, [(vector, limit)], kind))[0]


@pytest.mark.parametrize("fold", [FOLD_FACTOR, 1])
async def test_one_query_for_both_kinds_equals_one_filtered_query_per_kind(
    articles_kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, fold: int
) -> None:
    # fold 1: the nearest 2 + 6 units hold too few of a kind, so that kind is asked alone.
    monkeypatch.setattr(nearest, "FOLD_FACTOR", fold)  # read at each query
    metrics = Metrics()
    collection = Recorded(articles_kb.store._collection)
    store = PassageStore(
        articles_kb.store._client, collection, articles_kb.store.titles, metrics=metrics
    )
    vectors = articles_kb.embedder.encode_blocking(QUESTIONS[:FOLD_MAX_BATCH])
    together = await asyncio.gather(*(store.nearest_units(v, 2, 6) for v in vectors))
    sample = metrics.registry.get_sample_value
    assert sample("supportflow_vector_query_batch_size_count") == 1  # one batch for all
    asked_alone = [where for where in collection.filters if where is not None]
    assert collection.filters[0] is None  # the one unfiltered query for all four
    if fold == 1:
        assert asked_alone  # some kind was short, and asked for alone
    else:
        assert asked_alone == []
    for vector, (passages, sentences) in zip(vectors, together, strict=True):
        for hits, limit, kind in ((passages, 2, PASSAGE), (sentences, 6, SENTENCE)):
            expected_ids, expected_similarities = _shape(
                await _filtered(store, vector, limit, kind)
            )
            ids, similarities = _shape(hits)
            assert ids == expected_ids
            assert np.allclose(similarities, expected_similarities)
            assert all(hit.passage.kind == kind for hit in hits)


async def test_while_chroma_is_busy_each_kind_is_queried_filtered_and_batched(
    articles_kb: KnowledgeBase,
) -> None:
    gate = threading.Event()
    collection = Recorded(articles_kb.store._collection, gate)
    store = PassageStore(articles_kb.store._client, collection, articles_kb.store.titles)
    vectors = articles_kb.embedder.encode_blocking(QUESTIONS)
    first = asyncio.create_task(store.nearest_units(vectors[0], 2, 6))
    try:
        await asyncio.to_thread(collection.entered.wait)  # the unfiltered query is running
        assert store._units.working
        rest = [asyncio.create_task(store.nearest_units(v, 2, 6)) for v in vectors[1:]]
        await asyncio.sleep(0)
    finally:
        gate.set()  # never leave a worker thread waiting
    found = [await first] + [await task for task in rest]
    # One unfiltered query (the first question), then one filtered query per kind for
    # the four that came while it ran.
    assert sorted(map(str, collection.filters)) == sorted(
        ["None", str({"kind": PASSAGE}), str({"kind": SENTENCE})]
    )
    for vector, (passages, sentences) in zip(vectors, found, strict=True):
        assert _shape(passages)[0] == _shape(await _filtered(store, vector, 2, PASSAGE))[0]
        assert _shape(sentences)[0] == _shape(await _filtered(store, vector, 6, SENTENCE))[0]
