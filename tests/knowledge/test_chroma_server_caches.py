"""Two knowledge bases in one process on one real Chroma server: B's caches follow A's writes.

The two-node test proves the unit cache follows; this one proves the lexical side (the BM25
index and the typo-repair vocabulary), which only changes a ranking: after A ingests, B must
rank exactly as a knowledge base opened fresh on the same server does; and that B reads the
title vectors A stored rather than embedding them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retrieval, Retriever
from supportflow.metrics import Metrics
from tests.knowledge.shared import ARTICLES, LIMITS, shared_embedder
from tests.services import running_chroma

pytestmark = pytest.mark.slow

# "femtocel": a typo only the new article's vocabulary can repair.
QUESTION = "my femtocel light stays orange"
FEMTOCELL = Document(
    "femtocell",
    "Femtocell lights",
    "network",
    "A femtocell boosts indoor signal. When the femtocell light stays orange, restart the "
    "femtocell and check that the router has internet.",
)


@pytest.fixture(name="chroma_url")
def fixture_chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_chroma(tmp_path_factory.mktemp("chroma") / "data") as url:
        yield url


async def open_kb(url: str, check_seconds: float | None) -> KnowledgeBase:
    embedder = shared_embedder()
    store = await PassageStore.open(None, url)
    return KnowledgeBase(embedder, store, Retriever(embedder, store), LIMITS, check_seconds)


def ranking(found: Retrieval) -> list[tuple[str, float]]:
    return [(doc.doc_id, round(doc.rank_score, 6)) for doc in found.documents]


async def test_a_node_ranks_as_a_fresh_one_after_another_node_writes(chroma_url: str) -> None:
    writer = await open_kb(chroma_url, None)
    reader = await open_kb(chroma_url, 0)
    unwatched = await open_kb(chroma_url, None)  # what `reader` would do without the watch
    try:
        await writer.ingest(list(ARTICLES))
        for kb in (reader, unwatched):
            assert "femtocell" not in [doc.doc_id for doc in (await kb.search(QUESTION)).documents]

        await writer.ingest([FEMTOCELL])
        fresh = await open_kb(chroma_url, None)
        try:
            expected = ranking(await fresh.search(QUESTION))
        finally:
            await fresh.store.close()
        assert expected[0][0] == "femtocell"
        assert ranking(await reader.search(QUESTION)) == expected
        # The control: stale vocabulary and BM25 rank differently, so the equality above
        # is the watch's doing.
        assert ranking(await unwatched.search(QUESTION)) != expected
        assert reader.watch is not None and reader.watch.changes == 2

        await writer.delete_document("femtocell")
        assert "femtocell" not in [d.doc_id for d in (await reader.search(QUESTION)).documents]
    finally:
        for kb in (writer, reader, unwatched):
            await kb.store.close()


async def test_a_title_ingested_on_one_node_is_read_not_embedded_on_another(
    chroma_url: str,
) -> None:
    writer = await open_kb(chroma_url, None)
    metrics = Metrics()
    model = shared_embedder()
    counted = Embedder(model.encoder, model.model_name, metrics=metrics)
    store = await PassageStore.open(None, chroma_url)
    reader = KnowledgeBase(counted, store, Retriever(counted, store), LIMITS, 0)

    def rows() -> float:
        return metrics.registry.get_sample_value("supportflow_embedding_batch_size_sum") or 0.0

    try:
        await writer.ingest(list(ARTICLES))
        await reader.search(QUESTION)
        assert rows() == 1  # a start over a stored knowledge base: the question alone

        await writer.ingest([FEMTOCELL])
        found = await reader.search(QUESTION)
        # The watch saw the write; the rebuilt index has the new title, read from the
        # server, and the reader embedded only its question again.
        assert found.documents[0].doc_id == "femtocell"
        assert rows() == 2
        assert (await store.title_vectors())["femtocell"].title == FEMTOCELL.title

        await writer.delete_document("femtocell")
        assert "femtocell" not in await store.title_vectors()
    finally:
        for kb in (writer, reader):
            await kb.store.close()


async def test_an_article_deleted_on_one_node_leaves_the_other_s_help_center(
    chroma_url: str,
) -> None:
    writer = await open_kb(chroma_url, None)
    reader = await open_kb(chroma_url, 0)
    unwatched = await open_kb(chroma_url, None)  # the control: no watch, caches kept
    try:
        await writer.ingest([*ARTICLES, FEMTOCELL])
        for kb in (reader, unwatched):
            assert "femtocell" in [summary.id for summary in await kb.catalogue()]
            found = await kb.article("femtocell")
            assert found is not None and found.content == FEMTOCELL.content

        await writer.delete_document("femtocell")
        assert "femtocell" not in [summary.id for summary in await reader.catalogue()]
        assert await reader.article("femtocell") is None
        # Without the watch the deleted article would still be served from the caches.
        assert "femtocell" in [summary.id for summary in await unwatched.catalogue()]
        assert await unwatched.article("femtocell") is not None
    finally:
        for kb in (writer, reader, unwatched):
            await kb.store.close()
