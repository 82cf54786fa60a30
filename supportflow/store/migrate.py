"""Schema migrations: Alembic on both backends, and SQLite files from the old runner.

The revisions live in `alembic/versions/` inside the package; their ids are the schema
version numbers (`"009"`, `"010"`, ...), so `schema_version()` stays an integer. Revision
009 is the baseline: the schema the old SQL runner (`migrations/NNN_*.sql`, tracked in
`PRAGMA user_version`) had reached at its last file. A SQLite file it made is brought to
version 9 by those files if needed, then stamped as revision 009, and Alembic takes it from
there: no data is copied, nothing is recreated.

Migrations run at start-up in one transaction: on PostgreSQL under an advisory lock, so
nodes starting together migrate once; on SQLite under `BEGIN IMMEDIATE`.

`Store.open` runs them on every start. A schema change is a new revision here (and a new
table or column in schema.py; tests/store/test_alembic.py fails when the two differ). The
old runner's SQL files stay, frozen at 009, only to finish a file it left half-way.
"""

from __future__ import annotations

import asyncio
import logging
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

ALEMBIC_DIR = Path(__file__).parent / "alembic"
LATEST_SCHEMA_VERSION = max(
    int(path.name[1:4]) for path in (ALEMBIC_DIR / "versions").glob("r[0-9][0-9][0-9]_*.py")
)
LEGACY_LAST_VERSION = 9  # the old runner's last file, 009_message_feedback.sql
_LEGACY_PACKAGE = "supportflow.store.migrations"
# Any constant shared by every supportflow node: pg_advisory_xact_lock's key.
_MIGRATION_LOCK = 0x5F_5F10_11


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database to the latest revision (in one transaction)."""
    if engine.dialect.name == "sqlite":
        _transactional_sqlite(engine)
        await upgrade_legacy_sqlite(Path(str(engine.url.database)))
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def _transactional_sqlite(engine: AsyncEngine) -> None:
    """Make SQLAlchemy's BEGIN a real `BEGIN IMMEDIATE` on this (migration) engine: Python's
    sqlite3 would otherwise run each DDL statement on its own, and a failed migration would
    stay half applied. Idempotent: an engine migrated twice gets the hooks once."""
    if not event.contains(engine.sync_engine, "begin", _begin_immediate):
        event.listen(engine.sync_engine, "connect", _no_implicit_transactions)
        event.listen(engine.sync_engine, "begin", _begin_immediate)


def _no_implicit_transactions(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})")
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.attributes["connection"] = connection
    legacy = _legacy_revision(connection)
    if legacy is not None:
        log.info("stamping a database of the old migration runner as revision %s", legacy)
        command.stamp(config, legacy)
    command.upgrade(config, "head")


def _legacy_revision(connection: Connection) -> str | None:
    """The revision a SQLite file of the old runner is at, or None (Alembic's already, or new)."""
    if connection.dialect.name != "sqlite" or inspect(connection).has_table("alembic_version"):
        return None
    version = int(connection.exec_driver_sql("PRAGMA user_version").scalar() or 0)
    return f"{version:03d}" if version >= LEGACY_LAST_VERSION else None


def schema_version(connection: Connection) -> int:
    """The database's revision as a number (0: not migrated)."""
    revision = MigrationContext.configure(connection).get_current_revision()
    return int(revision) if revision else 0


async def upgrade_legacy_sqlite(path: Path) -> None:
    """Finish the old runner's work on a file it left between versions 1 and 8.

    Version 0 (a new file) is left to Alembic; 9 and later are stamped, not re-run.
    """
    if not await asyncio.to_thread(path.exists):
        return
    async with aiosqlite.connect(path, isolation_level=None) as connection:
        cursor = await connection.execute("PRAGMA user_version")
        row = await cursor.fetchone()
        current = int(row[0]) if row else 0
        if current == 0 or current >= LEGACY_LAST_VERSION:
            return
        await connection.execute("PRAGMA foreign_keys=ON")
        for version, name, sql in legacy_migrations():
            if current < version <= LEGACY_LAST_VERSION:
                log.info("applying legacy migration %s", name)
                # executescript commits any open transaction first, so the script carries
                # its own BEGIN/COMMIT with the version bump: it applies whole or not at all.
                await connection.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )


def legacy_migrations() -> list[tuple[int, str, str]]:
    """The old runner's SQL files, in order: (version, file name, SQL)."""
    found = []
    for entry in resources.files(_LEGACY_PACKAGE).iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)
