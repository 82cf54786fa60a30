"""Title similarity in the ranking: the title index, and the real model's say (how the
title vectors are stored and read back: test_title_store.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from supportflow.knowledge.titles import TitleIndex
from tests.knowledge.shared import LIMITS, shared_embedder


def test_title_index_scores_every_document_by_cosine() -> None:
    index = TitleIndex(["a", "b"], [[1.0, 0.0], [0.6, 0.8]])
    assert index.similarities([1.0, 0.0]) == pytest.approx({"a": 1.0, "b": 0.6})
    assert TitleIndex([], []).similarities([1.0, 0.0]) == {}


# Two articles with the same body: only the titles tell them apart, as with a knowledge
# base's generic "sign in, open Settings, follow the steps" answers.
BODY = (
    "Sign in to your account on our website and open Settings. Follow the steps on the "
    "screen and save your changes. Our support team can help if anything goes wrong."
)
TWINS = (
    Document("open", "Opening a new account", "account", BODY),
    Document("close", "Closing your account", "account", BODY),
)


def twins_kb(chroma_dir: Path, title_weight: float) -> KnowledgeBase:
    embedder = shared_embedder()
    store = asyncio.run(PassageStore.open(chroma_dir, None))
    retriever = Retriever(embedder, store, title_weight=title_weight)
    knowledge = KnowledgeBase(embedder, store, retriever, LIMITS)
    asyncio.run(knowledge.ingest(TWINS))
    return knowledge


@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "expected"),
    [("how can I sign up for a new account", "open"), ("I want to get rid of my account", "close")],
)
def test_the_title_decides_between_articles_that_say_the_same(
    tmp_path: Path, question: str, expected: str
) -> None:
    with_titles = twins_kb(tmp_path / "with", title_weight=0.5)
    without = twins_kb(tmp_path / "without", title_weight=0.0)
    ranked = asyncio.run(with_titles.search(question)).documents
    plain = asyncio.run(without.search(question)).documents
    assert ranked[0].doc_id == expected
    # The title widens the gap the prefixed passage alone leaves, and the reported
    # similarity (what confidence reads) does not change with the weight.
    gap = ranked[0].rank_score - ranked[1].rank_score
    plain_scores = {doc.doc_id: doc.rank_score for doc in plain}
    other = ranked[1].doc_id
    assert gap > plain_scores[expected] - plain_scores[other]
    assert {d.doc_id: d.similarity for d in ranked} == pytest.approx(
        {d.doc_id: d.similarity for d in plain}
    )
