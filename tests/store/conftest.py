"""`store`: the same repository tests on both engines, embedded SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from supportflow.store import Store
from tests.services import postgres_database


@pytest.fixture(name="store", params=["sqlite", "postgresql"])
async def fixture_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated, empty store: a SQLite file, or a fresh PostgreSQL database (dropped after)."""
    if request.param == "sqlite":
        store = await Store.open(tmp_path / "store.db", synchronous="NORMAL")
        yield store
        await store.close()
        return
    with postgres_database() as url:
        store = await Store.open(url)
        yield store
        await store.close()
