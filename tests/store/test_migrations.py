"""Schema migrations: applied in order, once, and idempotent at start-up."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from supportflow.errors import Conflict
from supportflow.store import LATEST_SCHEMA_VERSION, Store


async def test_new_database_gets_the_latest_schema(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        assert await store.schema_version() == LATEST_SCHEMA_VERSION
    finally:
        await store.close()
    tables = {
        row[0]
        for row in sqlite3.connect(tmp_path / "db.sqlite").execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }
    assert {"users", "agents", "sessions", "messages", "escalations"} <= tables


async def test_reopening_keeps_data_and_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite"
    store = await Store.open(path)
    await store.create_user("alice")
    await store.close()

    reopened = await Store.open(path)
    try:
        assert (await reopened.get_user("alice")).user_id == "alice"
        assert await reopened.schema_version() == LATEST_SCHEMA_VERSION
        with pytest.raises(Conflict):
            await reopened.create_user("alice")
    finally:
        await reopened.close()


async def test_a_start_waits_out_another_process_migrating_the_same_file(
    tmp_path: Path,
) -> None:
    # Another node's migration holds the write lock longer than sqlite3's default 5 s wait
    # (seen on a loaded CI machine: "database is locked" failed a node's start).
    path = tmp_path / "db.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    released = asyncio.get_running_loop().call_later(6.0, other.execute, "COMMIT")
    try:
        store = await Store.open(path)
    finally:
        released.cancel()
        other.close()
    try:
        assert await store.schema_version() == LATEST_SCHEMA_VERSION
    finally:
        await store.close()


async def test_an_older_database_is_migrated_forward(tmp_path: Path) -> None:
    """A database left at version 0 with a stray table gets the schema, keeps the table."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as old:
        old.execute("CREATE TABLE legacy_notes (note TEXT)")
        old.execute("INSERT INTO legacy_notes VALUES ('kept')")
    store = await Store.open(path)
    try:
        assert await store.schema_version() == LATEST_SCHEMA_VERSION
    finally:
        await store.close()
    with sqlite3.connect(path) as migrated:
        assert migrated.execute("SELECT note FROM legacy_notes").fetchall() == [("kept",)]
        assert migrated.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_foreign_keys_are_enforced(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite")
    try:
        with pytest.raises(sqlite3.IntegrityError):
            async with store._db.unit() as sql:
                await sql.execute(
                    "INSERT INTO escalations (escalation_id, session_id, reasons, triggered_at)"
                    " VALUES ('e1', 'no-such-session', '[]', 'now')"
                )
    finally:
        await store.close()
