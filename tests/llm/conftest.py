from __future__ import annotations

import asyncio

import pytest

from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.embedder import Embedder
from tests.knowledge.shared import ARTICLES, open_knowledge_base, shared_embedder


@pytest.fixture(name="embedder", scope="session")
def fixture_embedder() -> Embedder:
    return shared_embedder()


@pytest.fixture(name="articles_kb", scope="module")
def fixture_articles_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    knowledge = open_knowledge_base(tmp_path_factory.mktemp("chroma"))
    asyncio.run(knowledge.ingest(ARTICLES))
    return knowledge
