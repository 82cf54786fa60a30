"""Title vectors stored in Chroma at ingest: a start reads them instead of embedding them.

Real embedded Chroma and the real model. The model's work is counted in rows (texts
encoded, from the embedding-batch metric), as test_reply_path counts it: a search of a
knowledge base whose titles are stored encodes its question and nothing else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retrieval, Retriever
from supportflow.knowledge.title_store import StoredTitle
from supportflow.metrics import Metrics
from tests.knowledge.shared import ARTICLES, LIMITS, shared_embedder

pytestmark = pytest.mark.slow

QUESTION = "How do I set up voicemail?"
TITLES = {doc.id: doc.title for doc in ARTICLES}


class Counted:
    """A knowledge base over `chroma_dir` (a process starting), counting what it encodes."""

    def __init__(self, store: PassageStore) -> None:
        model = shared_embedder()
        self.metrics = Metrics()
        self.embedder = Embedder(model.encoder, model.model_name, metrics=self.metrics)
        self.store = store
        self.knowledge = KnowledgeBase(
            self.embedder, store, Retriever(self.embedder, store), LIMITS
        )

    @classmethod
    async def open(cls, chroma_dir: Path) -> Counted:
        return cls(await PassageStore.open(chroma_dir, None))

    def _sample(self, name: str) -> float:
        return self.metrics.registry.get_sample_value(name) or 0.0

    def rows(self) -> float:
        """Texts the model encoded so far."""
        return self._sample("supportflow_embedding_batch_size_sum")

    def encodes(self) -> float:
        """Calls to the model so far."""
        return self._sample("supportflow_embedding_batch_size_count")


def ranking(found: Retrieval) -> list[str]:
    return [doc.doc_id for doc in found.documents]


def scores(found: Retrieval) -> list[float]:
    return [doc.rank_score for doc in found.documents]


async def stored_titles(store: PassageStore) -> dict[str, str]:
    return {doc_id: row.title for doc_id, row in (await store.title_vectors()).items()}


async def test_ingest_embeds_the_titles_with_the_passages(tmp_path: Path) -> None:
    node = await Counted.open(tmp_path)
    result = await node.knowledge.ingest(ARTICLES)
    units = len(await node.store.passages()) + len(
        node.store._collection.get(where={"kind": "sentence"}, include=[])["ids"]
    )
    assert result.chunks > 0
    # One encode: every passage and sentence unit, and one title per document.
    assert node.encodes() == 1
    assert node.rows() == units + len(ARTICLES)
    stored = await node.store.title_vectors()
    assert {doc_id: row.title for doc_id, row in stored.items()} == TITLES
    # Each stored vector is the model's vector of that title (padding in a mixed batch
    # moves only the last float bits).
    alone = node.embedder.encode_blocking(list(TITLES.values()))
    assert np.allclose([stored[doc_id].vector for doc_id in TITLES], alone, atol=1e-5)


async def test_a_restart_builds_its_index_without_embedding_a_title(tmp_path: Path) -> None:
    first = await Counted.open(tmp_path)
    await first.knowledge.ingest(ARTICLES)
    before = await first.knowledge.search(QUESTION)

    restarted = await Counted.open(tmp_path)  # a new process over the same directory
    after = await restarted.knowledge.search(QUESTION)
    assert restarted.rows() == 1  # the question; no title
    # The very vectors ingest stored: the same ranking to the last bit.
    assert ranking(after) == ranking(before) and scores(after) == scores(before)
    assert ranking(after)[0] == "voicemail"


async def test_an_old_knowledge_base_is_backfilled_once(tmp_path: Path) -> None:
    old = await Counted.open(tmp_path)
    await old.knowledge.ingest(ARTICLES)
    expected = await old.knowledge.search(QUESTION)
    # As ingested before titles were stored: none for two documents, and for a third the
    # vector of a title it no longer has (re-titled by a node running the old code).
    old.store.titles.delete(["roaming", "esim"])
    voicemail = (await old.store.title_vectors())["voicemail"]
    old.store.titles.put({"apn": StoredTitle("An old APN title", voicemail.vector)})

    first_start = await Counted.open(tmp_path)
    found = await first_start.knowledge.search(QUESTION)
    # The question, and the three titles with no vector of their own, in one encode.
    assert first_start.rows() == 1 + 3
    assert first_start.encodes() == 2
    assert await stored_titles(first_start.store) == TITLES
    # Embedded alone rather than in the ingest batch: equal but for the last float bits.
    assert ranking(found) == ranking(expected)
    assert scores(found) == pytest.approx(scores(expected), abs=1e-5)

    second_start = await Counted.open(tmp_path)
    await second_start.knowledge.search(QUESTION)
    assert second_start.rows() == 1


async def test_delete_and_re_ingest_keep_the_title_vectors_in_step(tmp_path: Path) -> None:
    node = await Counted.open(tmp_path)
    await node.knowledge.ingest(ARTICLES)
    await node.knowledge.delete_document("roaming")
    assert "roaming" not in await stored_titles(node.store)

    retitled = Document("esim", "Installing a digital SIM", "sim", ARTICLES[2].content)
    await node.knowledge.ingest([retitled])
    titles = await stored_titles(node.store)
    assert titles["esim"] == "Installing a digital SIM"
    assert set(titles) == {"voicemail", "esim", "apn"}

    # A start reads the new title's vector; it embeds nothing but the question.
    restarted = await Counted.open(tmp_path)
    found = await restarted.knowledge.search("install a digital SIM")
    assert restarted.rows() == 1
    assert found.documents[0].doc_id == "esim"
