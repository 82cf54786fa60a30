"""Schema migrations: Alembic alone, on both backends.

The revisions live in `alembic/versions/` inside the package; their ids are the schema
version numbers (`"009"`, `"010"`, ...), so `schema_version()` stays an integer. Revision
009 is the baseline: the schema the old SQL runner (`migrations/NNN_*.sql`, tracked in
`PRAGMA user_version`, retired) had reached at its last file.

Files of the old runner take one upgrade step, made here by Alembic itself: a SQLite file
with no `alembic_version` whose `user_version` is 9 or 10 is stamped as that revision (no
data copied, nothing recreated), and upgraded from there like any other. A file the old
runner left below 9 is refused with `ConfigurationError`: docs/database.md says how to bring
it to 9 first.

Migrations run at start-up in one transaction: on PostgreSQL under an advisory lock, so
nodes starting together migrate once; on SQLite under `BEGIN IMMEDIATE`.

`Store.open` runs them on every start. A schema change is a new revision here (and a new
table or column in schema.py; tests/store/test_alembic.py fails when the two differ).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, event, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from supportflow.errors import ConfigurationError

log = logging.getLogger(__name__)

ALEMBIC_DIR = Path(__file__).parent / "alembic"
LATEST_SCHEMA_VERSION = max(
    int(path.name[1:4]) for path in (ALEMBIC_DIR / "versions").glob("r[0-9][0-9][0-9]_*.py")
)
LEGACY_LAST_VERSION = 9  # the old runner's last file in this package, 009_message_feedback.sql
# Any constant shared by every supportflow node: pg_advisory_xact_lock's key.
_MIGRATION_LOCK = 0x5F_5F10_11


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database to the latest revision (in one transaction)."""
    if engine.dialect.name == "sqlite":
        _transactional_sqlite(engine)
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
    """The revision a SQLite file of the old runner is at, or None (Alembic's already, or new).

    Raises ConfigurationError for a file the old runner left below its last version."""
    if connection.dialect.name != "sqlite" or inspect(connection).has_table("alembic_version"):
        return None
    version = int(connection.exec_driver_sql("PRAGMA user_version").scalar() or 0)
    if version == 0:
        return None
    if version < LEGACY_LAST_VERSION:
        raise ConfigurationError(
            f"{connection.engine.url.database} was made by the old migration runner and left"
            f" at version {version}; bring it to version {LEGACY_LAST_VERSION} first"
            " (docs/database.md, 'Files of the old migration runner')"
        )
    return f"{version:03d}"


def schema_version(connection: Connection) -> int:
    """The database's revision as a number (0: not migrated)."""
    revision = MigrationContext.configure(connection).get_current_revision()
    return int(revision) if revision else 0
