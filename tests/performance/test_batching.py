"""Micro-batching with the real model: same vectors as one at a time, order kept, errors
shared, and a lone request never waits for a window (checked by batch shapes, not clocks)."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from supportflow.knowledge import batching
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.batching import BatchPolicy, MicroBatcher
from supportflow.knowledge.documents import PASSAGE, Document
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from supportflow.metrics import Metrics
from tests.knowledge.shared import LIMITS

QUESTIONS = [
    "How do I set up voicemail?",
    "What does roaming cost per day?",
    "My eSIM does not show up",
    "Which APN should I use?",
    "How do I set up voicemail?",  # a repeat: shares a row, still answered in place
    "Can I reset my voicemail PIN?",
    "Is there a day pass for travel?",
    "How long does eSIM activation take?",
]


def batched_embedder(shared: Embedder, sizes: list[int], policy: BatchPolicy) -> Embedder:
    # The shared model with a fresh batcher of its own.
    return Embedder(shared.encoder, shared.model_name, policy, observe=_sizes(sizes))


def _sizes(sizes: list[int]) -> batching.BatchObserver:
    return lambda size, _seconds: sizes.append(size)


async def test_concurrent_queries_are_batched_and_equal_to_unbatched(embedder: Embedder) -> None:
    sizes: list[int] = []
    batched = batched_embedder(embedder, sizes, BatchPolicy(max_batch=32, max_wait=0.0))
    vectors = await asyncio.gather(*(batched.embed_query(q) for q in QUESTIONS))
    # All arrived before the batcher ran: one encode for all of them.
    assert sizes == [len(QUESTIONS)]
    for question, vector in zip(QUESTIONS, vectors, strict=True):
        alone = embedder.encode_blocking([question])[0]
        assert np.allclose(vector, alone, atol=1e-5), question


async def test_batches_never_exceed_the_maximum(embedder: Embedder) -> None:
    sizes: list[int] = []
    batched = batched_embedder(embedder, sizes, BatchPolicy(max_batch=3, max_wait=0.0))
    vectors = await asyncio.gather(*(batched.embed_query(q) for q in QUESTIONS))
    assert sizes == [3, 3, 2]
    assert np.allclose(vectors[0], vectors[4])  # the repeated question


async def test_arrivals_during_a_batch_go_together_next() -> None:
    entered, release = threading.Event(), threading.Event()

    def gated(items: list[int]) -> list[int]:
        entered.set()
        release.wait(30)  # hold the first batch until the others have queued
        return [item * 10 for item in items]

    sizes: list[int] = []
    batcher = MicroBatcher(gated, BatchPolicy(max_batch=32, max_wait=0.0), _sizes(sizes))
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.to_thread(entered.wait, 30)  # the first batch is in the worker thread
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0)
    release.set()
    assert await first == 0
    assert [await task for task in rest] == [10, 20, 30, 40, 50]
    assert sizes == [1, 5]


async def test_a_lone_query_opens_no_window(
    embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float) -> None:
        # asyncio is one module for the whole process: only the batcher's sleeps count, not
        # those of a task another test's app left behind on this worker.
        if sys._getframe(1).f_code.co_filename == batching.__file__:
            waits.append(delay)
        await real_sleep(delay)

    monkeypatch.setattr(batching.asyncio, "sleep", recorded_sleep)
    sizes: list[int] = []
    # A window of an hour: a lone query that waited for it would never come back in time.
    batched = batched_embedder(embedder, sizes, BatchPolicy(max_batch=32, max_wait=3600))
    for question in QUESTIONS[:3]:
        await asyncio.wait_for(batched.embed_query(question), 60)
    assert sizes == [1, 1, 1]
    assert waits == []


async def test_an_error_reaches_every_waiter() -> None:
    def broken(items: list[str]) -> list[int]:
        raise ValueError(f"cannot encode {len(items)} texts")

    sizes: list[int] = []
    batcher = MicroBatcher(broken, BatchPolicy(max_batch=4, max_wait=0.0), _sizes(sizes))
    results = await asyncio.gather(
        *(batcher.submit(str(i)) for i in range(6)), return_exceptions=True
    )
    assert all(isinstance(result, ValueError) for result in results)
    assert sizes == [4, 2]
    # The batcher recovers: the next request runs normally.
    ok = MicroBatcher(lambda items: [len(x) for x in items], BatchPolicy(), None)
    assert await ok.submit("four") == 4


async def test_a_primed_vector_answers_only_inside_its_block(embedder: Embedder) -> None:
    metrics = Metrics()
    fresh = Embedder(embedder.encoder, embedder.model_name, BatchPolicy(), metrics=metrics)

    def encodes() -> float | None:
        return metrics.registry.get_sample_value("supportflow_embedding_batch_size_count")

    vector = await fresh.embed_query("How do I set up voicemail?")
    with fresh.primed({"How do I set up voicemail?": vector}):
        assert await fresh.embed_query("How do I set up voicemail?") is vector
    assert encodes() == 1
    await fresh.embed_query("How do I set up voicemail?")  # outside: the model again
    assert encodes() == 2


async def test_batched_vector_queries_equal_one_at_a_time(
    articles_kb: KnowledgeBase, tmp_path: Path
) -> None:
    embedder = articles_kb.embedder
    vectors = [embedder.encode_blocking([q])[0] for q in QUESTIONS]
    metrics = Metrics()
    # A store of its own over the same collection, counting into its own metrics.
    kb_store = articles_kb.store
    store = PassageStore(kb_store._client, kb_store._collection, kb_store.titles, metrics=metrics)
    alone = [await asyncio.to_thread(store._query_blocking, [(v, 3)], PASSAGE) for v in vectors]
    together = await asyncio.gather(*(store.nearest(v, 3, PASSAGE) for v in vectors))
    sample = metrics.registry.get_sample_value
    assert sample("supportflow_vector_query_batch_size_count") == 1  # one call...
    assert sample("supportflow_vector_query_batch_size_sum") == len(QUESTIONS)  # ...for all
    for one, batched in zip(alone, together, strict=True):
        assert [h.passage.passage_id for h in one[0]] == [h.passage.passage_id for h in batched]
        assert np.allclose([h.similarity for h in one[0]], [h.similarity for h in batched])


async def test_a_reingested_document_is_never_read_stale(
    embedder: Embedder, tmp_path: Path
) -> None:
    store = await PassageStore.open(tmp_path / "chroma", None)
    knowledge = KnowledgeBase(embedder, store, Retriever(embedder, store), LIMITS)
    before = Document("pin", "Voicemail PIN", "calls", "Your voicemail PIN has four digits.")
    after = Document("pin", "Voicemail PIN", "calls", "Your voicemail PIN has six digits.")
    vector = embedder.encode_blocking(["How long is the voicemail PIN?"])[0]
    await knowledge.ingest([before])
    assert "four" in (await store.nearest(vector, 1, PASSAGE))[0].passage.text  # now cached
    await knowledge.ingest([after])
    assert "six" in (await store.nearest(vector, 1, PASSAGE))[0].passage.text
