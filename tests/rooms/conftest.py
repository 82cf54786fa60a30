"""What every room test stands on: a real SQLite store in the test's own directory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from supportflow.store import Store


@pytest.fixture(name="store")
async def fixture_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "rooms.db", synchronous="NORMAL")
    yield store
    await store.close()
