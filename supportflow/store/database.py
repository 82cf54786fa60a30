"""One SQLite connection, its pragmas, its migrations, and serialised access to it.

aiosqlite runs every statement on one background thread, so the event loop never waits on
disk. A single asyncio lock serialises units of work: each repository method runs whole
inside `Database.unit()`, so two coroutines never interleave statements inside one unit.

Group commit. With `synchronous=FULL` every COMMIT is an fsync, and on a busy server the
fsyncs, not the SQL, were the cost of a write. Units that arrive together therefore share
one transaction: the first opens it (`BEGIN IMMEDIATE`), each unit runs inside its own
`SAVEPOINT`, and one COMMIT (one fsync) ends them all: at once when no other unit is
waiting for the connection (a lone writer never waits), else `commit_window` seconds
later, so the units queued meanwhile join first. Each unit's `async with` returns only
after that COMMIT, so a caller is still answered only once its data is durable. A unit that
raises is rolled back to its savepoint alone; the others in the batch commit. If SQLite
itself abandons the whole transaction (an I/O error, a full disk) or the COMMIT fails,
every unit of the batch raises: none is reported written that is not.

Reads of one statement use `fetch_all` / `fetch_one` instead: a lone SELECT needs neither a
savepoint nor the round trips of one, and profiling the Socket.IO connect path showed those
trips, not SQL, as its cost. A read that runs while a batch is open sees the batch's
writes (one connection); only a failed COMMIT could make those disappear afterwards.
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


# How long a batch stays open for more units after the first one ends: long enough for
# the rooms that write "at the same time" to meet, short beside a 5 to 20 ms fsync.
DEFAULT_COMMIT_WINDOW_SECONDS = 0.001


class _Batch:
    """The units sharing one transaction, and the COMMIT they all wait for."""

    def __init__(self) -> None:
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.units = 0


class Database:
    """An open SQLite database in WAL mode with foreign keys on, committing in groups."""

    def __init__(
        self,
        connection: aiosqlite.Connection,
        commit_window: float = DEFAULT_COMMIT_WINDOW_SECONDS,
    ) -> None:
        self._connection = connection
        self._lock = asyncio.Lock()
        self._commit_window = commit_window
        self._batch: _Batch | None = None
        self._flush: asyncio.Task[None] | None = None
        self._waiting = 0  # units waiting for the lock: the ones a batch can wait for

    @classmethod
    async def open(
        cls,
        path: Path,
        synchronous: str = "FULL",
        commit_window: float = DEFAULT_COMMIT_WINDOW_SECONDS,
    ) -> Database:
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
        database = cls(connection, commit_window)
        await database.migrate()
        return database

    async def close(self) -> None:
        if self._flush is not None:  # let a pending COMMIT finish: its units wait on it
            await asyncio.gather(self._flush, return_exceptions=True)
        async with self._lock:
            await self._commit_batch()
            await self._connection.close()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[aiosqlite.Connection]:
        """One atomic unit of work: durable when the block ends, rolled back if it raises."""
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            batch = self._batch
            if batch is None:
                await self._connection.execute("BEGIN IMMEDIATE")
                batch = self._batch = _Batch()
            await self._connection.execute("SAVEPOINT unit")
            try:
                yield self._connection
            except BaseException:
                await self._undo_unit(batch)
                raise
            await self._connection.execute("RELEASE unit")
            batch.units += 1
            if self._waiting:
                self._flush_soon()  # units queued behind this one join the batch first
            else:
                await self._commit_batch()  # nobody to group with: no reason to wait
        finally:
            self._lock.release()
        # Outside the lock, so the next units can join the batch meanwhile. Shielded: a
        # caller cancelled while it waits must not cancel the others' COMMIT.
        await asyncio.shield(batch.committed)

    async def _undo_unit(self, batch: _Batch) -> None:
        """Roll back the failed unit alone, or, if SQLite dropped the transaction, fail all."""
        if self._connection.in_transaction:
            await self._connection.execute("ROLLBACK TO unit")
            await self._connection.execute("RELEASE unit")
            self._flush_soon()
            return
        # The error ended the whole transaction: the batch's earlier units are gone too.
        self._batch = None
        if not batch.committed.done():
            batch.committed.set_exception(
                aiosqlite.OperationalError("the transaction was rolled back by an error")
            )
            batch.committed.exception()  # retrieved: a batch nobody else awaits is fine

    def _flush_soon(self) -> None:
        if self._flush is None:
            self._flush = asyncio.create_task(self._flush_after_window(), name="db-commit")

    async def _flush_after_window(self) -> None:
        await asyncio.sleep(self._commit_window)
        async with self._lock:
            self._flush = None
            await self._commit_batch()

    async def _commit_batch(self) -> None:
        """COMMIT the open batch (the caller holds the lock) and answer its units."""
        batch, self._batch = self._batch, None
        if batch is None:
            return
        try:
            await self._connection.execute("COMMIT")
        except BaseException as error:
            if self._connection.in_transaction:
                await self._connection.execute("ROLLBACK")
            batch.committed.set_exception(error)
            batch.committed.exception()  # each unit re-raises it; none may go unobserved
            if not isinstance(error, Exception):
                raise
            return
        batch.committed.set_result(None)

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
