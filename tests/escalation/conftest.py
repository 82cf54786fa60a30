from __future__ import annotations

import pytest

from supportflow.knowledge.embedder import Embedder
from tests.knowledge.shared import shared_embedder


@pytest.fixture(name="embedder", scope="session")
def fixture_embedder() -> Embedder:
    return shared_embedder()
