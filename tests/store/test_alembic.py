"""The Alembic migrations: the same schema on SQLite and PostgreSQL as the old SQL runner's,
and the old runner's files upgraded in place (its SQL files, retired from the package, are
kept in scripts/old_runner/ for scripts/finish_old_runner_file.py, and make such files)."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from supportflow.errors import ConfigurationError
from supportflow.store import Store
from supportflow.store.migrate import LATEST_SCHEMA_VERSION, migrate, schema_version
from supportflow.store.schema import metadata

REFERENCE_TABLES = (
    "users",
    "agents",
    "sessions",
    "messages",
    "escalations",
    "canned_replies",
    "webhooks",
    "webhook_deliveries",
    "ratings",
    "message_feedback",
)


def shape(path: Path) -> dict[str, Any]:
    """Tables with their column names and NOT NULLs, index and trigger names. A primary key
    counts as NOT NULL: SQLite let the old files' TEXT keys be NULL, Alembic's are not."""
    with sqlite3.connect(path) as db:
        columns = {
            table: sorted(
                (row[1], bool(row[3] or row[5]))
                for row in db.execute(f"PRAGMA table_info({table})")
            )
            for table in REFERENCE_TABLES
        }
        marks = ",".join("?" * len(REFERENCE_TABLES))
        named = db.execute(
            "SELECT type, name FROM sqlite_master WHERE type IN ('index', 'trigger')"
            f" AND name NOT LIKE 'sqlite_autoindex%' AND tbl_name IN ({marks})",
            REFERENCE_TABLES,
        ).fetchall()
    return {"columns": columns, "named": sorted(named)}


async def migrated(url: str) -> tuple[int, list[Any]]:
    """Migrate, migrate again (a no-op), and report the version and schema.py's drift."""
    engine = create_async_engine(url)
    try:
        await migrate(engine)
        await migrate(engine)
        async with engine.connect() as connection:
            return await connection.run_sync(_version_and_drift)
    finally:
        await engine.dispose()


def _undeclared_table(difference: Any) -> bool:
    """A table schema.py does not declare, or its index: Alembic's own, and revision 014's
    full-text indexes (FTS5's tables on SQLite, message_search on PostgreSQL)."""
    if difference[0] == "remove_table":
        return True
    return difference[0] == "remove_index" and difference[1].table.name not in metadata.tables


def _version_and_drift(connection: Connection) -> tuple[int, list[Any]]:
    context = MigrationContext.configure(connection)
    drift = [d for d in compare_metadata(context, metadata) if not _undeclared_table(d)]
    return schema_version(connection), drift


# The old runner's last file, 010, as it shipped (it is not kept in the package: a file at
# version 10 is stamped, not re-run).
_OLD_010 = "ALTER TABLE sessions ADD COLUMN fence BIGINT NOT NULL DEFAULT 0;"


FINISH_SCRIPT = Path(__file__).parents[2] / "scripts" / "finish_old_runner_file.py"
OLD_RUNNER_FILES = FINISH_SCRIPT.parent / "old_runner"


def old_runner_database(path: Path, up_to: int = 10) -> None:
    """A file as the old runner left it: its SQL files in order, in PRAGMA user_version."""
    scripts = [
        (int(file.name.split("_", 1)[0]), file.read_text(encoding="utf-8"))
        for file in sorted(OLD_RUNNER_FILES.glob("[0-9][0-9][0-9]_*.sql"))
    ]
    scripts = [(version, sql) for version, sql in scripts if version <= up_to]
    if up_to >= 10:
        scripts.append((10, _OLD_010))
    with sqlite3.connect(path) as old:
        for version, sql in scripts:
            old.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")


async def store_opens(path: Path) -> int:
    store = await Store.open(path, synchronous="NORMAL")
    try:
        return await store.schema_version()
    finally:
        await store.close()


async def test_alembic_builds_the_old_runners_schema_on_sqlite(tmp_path: Path) -> None:
    old_runner_database(tmp_path / "old.db")
    version, drift = await migrated(f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert version == LATEST_SCHEMA_VERSION == 15
    # Stamped as 010 (nothing of the old runner re-run), then Alembic's own revisions on.
    assert await store_opens(tmp_path / "old.db") == LATEST_SCHEMA_VERSION
    assert drift == []
    assert shape(tmp_path / "new.db") == shape(tmp_path / "old.db")


async def test_a_version_9_file_is_stamped_and_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v9.db"
    old_runner_database(path, up_to=9)
    with sqlite3.connect(path) as old:
        old.execute("INSERT INTO users (user_id, created_at) VALUES ('alice', 'then')")
    # Its column types stay the old files' (INTEGER, not BIGINT: the same to SQLite), so
    # schema.py's drift is not asked of it, only of the databases Alembic creates.
    version, _ = await migrated(f"sqlite+aiosqlite:///{path}")
    assert version == LATEST_SCHEMA_VERSION
    with sqlite3.connect(path) as upgraded:
        assert upgraded.execute("SELECT user_id FROM users").fetchall() == [("alice",)]
        assert upgraded.execute("SELECT version_num FROM alembic_version").fetchall() == [
            (f"{LATEST_SCHEMA_VERSION:03d}",)
        ]
        columns = [row[1] for row in upgraded.execute("PRAGMA table_info(sessions)")]
        assert columns[-1] == "fence"


async def test_a_file_the_old_runner_left_half_way_is_refused_untouched(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v5.db"
    old_runner_database(path, up_to=5)
    before = path.read_bytes()
    with pytest.raises(ConfigurationError, match=r"left at version 5.*docs/database\.md"):
        await Store.open(path, synchronous="NORMAL")
    with sqlite3.connect(path) as old:
        assert old.execute("PRAGMA user_version").fetchone() == (5,)
        tables = {row[0] for row in old.execute("SELECT name FROM sqlite_master")}
        assert "alembic_version" not in tables
    assert path.read_bytes() == before


def test_the_documented_step_brings_it_to_9_and_alembic_takes_it_from_there(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v5.db"
    old_runner_database(path, up_to=5)
    done = subprocess.run(
        [sys.executable, str(FINISH_SCRIPT), str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "version 5 -> 9" in done.stdout
    old_runner_database(tmp_path / "v9.db", up_to=9)
    assert shape(path) == shape(tmp_path / "v9.db")
    again = subprocess.run([sys.executable, str(FINISH_SCRIPT), str(path)], capture_output=True)
    assert b"nothing to do" in again.stdout
    assert asyncio.run(store_opens(path)) == LATEST_SCHEMA_VERSION


async def test_alembic_builds_the_schema_and_trigger_on_postgres(postgres_url: str) -> None:
    url = postgres_url.replace("postgresql://", "postgresql+asyncpg://")
    version, drift = await migrated(url)
    assert (version, drift) == (LATEST_SCHEMA_VERSION, [])
    db = await asyncpg.connect(postgres_url)
    try:
        await db.execute(
            "INSERT INTO users (user_id, created_at) VALUES ('u', 't');"
            "INSERT INTO agents (agent_id, name, token_digest, created_at, updated_at)"
            " VALUES ('ann', 'Ann', 'd', 't', 't');"
            "INSERT INTO sessions (session_id, room_id, user_id, agent_id, status, token_digest,"
            " created_at, updated_at) VALUES ('s', 'r', 'u', 'ann', 'agent_assigned', 'd', 't',"
            " 't');"
            "INSERT INTO escalations (escalation_id, session_id, reasons, triggered_at,"
            " handled_at, handled_by, status) VALUES ('e', 's', '[]', 't', 't', 'ann', 'claimed')"
        )
        assert await db.fetchval("SELECT released_at FROM escalations") is None
        await db.execute("UPDATE sessions SET status = 'closed'")
        released = await db.fetchval("SELECT released_at FROM escalations")
        # The same fixed-width ISO-8601 UTC text as records.utc_now().
        assert len(released) == 24 and released.endswith("Z") and released[10] == "T"
        assert await db.fetchval("SELECT fence FROM sessions") == 0
    finally:
        await db.close()
