from __future__ import annotations

from pathlib import Path

import pytest

from supportflow.knowledge.base import KnowledgeBase
from tests.knowledge.shared import open_knowledge_base


@pytest.fixture(name="empty_kb")
def fixture_empty_kb(tmp_path: Path) -> KnowledgeBase:
    return open_knowledge_base(tmp_path / "chroma")
