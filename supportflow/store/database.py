"""One SQLite connection, its pragmas, its migrations, and serialised access to it.

aiosqlite runs every statement on one background thread, so the event loop never waits on
disk. A single asyncio lock serialises units of work: each repository method runs whole
inside `Database.unit()`, which makes it atomic (one `BEGIN IMMEDIATE ... COMMIT`), so two
coroutines never interleave statements inside one transaction.

Reads of one statement use `fetch_all` / `fetch_one` instead: a lone SELECT in autocommit
mode is already its own consistent snapshot, so it needs neither the write lock that
BEGIN IMMEDIATE takes nor the three extra trips to the database thread (BEGIN, fetch,
COMMIT). Profiling the Socket.IO connect path showed those trips, not SQL, as its cost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATIONS_PACKAGE = "supportflow.store.migrations"


class Database:
    """An open SQLite database in WAL mode with foreign keys on."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, synchronous: str = "FULL") -> Database:
        """Open (creating if needed) and migrate the database at `path`."""
        # A PRAGMA takes no parameters, so its value is checked before it joins the SQL.
        if synchronous not in {"FULL", "NORMAL", "EXTRA", "OFF"}:
            raise ValueError(f"not a SQLite synchronous mode: {synchronous!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: autocommit mode, so transactions are exactly the
        # BEGIN/COMMIT that unit() issues and never an implicit one left open.
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute(f"PRAGMA synchronous={synchronous}")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
        database = cls(connection)
        await database.migrate()
        return database

    async def close(self) -> None:
        async with self._lock:
            await self._connection.close()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic unit of work: committed when the block ends, rolled back if it raises."""
        async with self._lock:
            await self._connection.execute("BEGIN IMMEDIATE")
            try:
                yield self._connection
            except BaseException:
                await self._connection.execute("ROLLBACK")
                raise
            await self._connection.execute("COMMIT")

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        """The rows of one read-only statement, in one trip to the database thread."""
        async with self._lock:
            rows = await self._connection.execute_fetchall(sql, params)
        return list(rows)

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """The first row of one read-only statement, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def schema_version(self) -> int:
        async with self._lock:
            cursor = await self._connection.execute("PRAGMA user_version")
            row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self) -> int:
        """Apply every migration newer than the database's `user_version`, in order."""
        current = await self.schema_version()
        for version, name, sql in _migrations():
            if version <= current:
                continue
            log.info("applying migration %s", name)
            async with self._lock:
                # executescript commits any open transaction first, so the script carries
                # its own BEGIN/COMMIT with the version bump: a migration applies whole or
                # not at all.
                await self._connection.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
            current = version
        return current


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files(_MIGRATIONS_PACKAGE).iterdir():
        if entry.name.endswith(".sql"):
            version = int(entry.name.split("_", 1)[0])
            found.append((version, entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST_SCHEMA_VERSION = max((version for version, _, _ in _migrations()), default=0)
