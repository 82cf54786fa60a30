"""SQLite: one connection, its pragmas, and group commit of the units on it.

aiosqlite runs every statement on one background thread, so the event loop never waits on
disk; the connection is in autocommit mode, so the transactions are exactly the ones this
module opens. The schema is migrated by Alembic (through SQLAlchemy) before the connection
opens; the statements themselves go to aiosqlite as compiled (a `Query`'s SQLite text,
cached) or as written (the string style). A single asyncio lock
serialises units of work: two coroutines never interleave statements inside one unit,
and SQLite, one writer at a time, needs no row locks.

Group commit. With `synchronous=FULL` every COMMIT is an fsync, and on a busy server the
fsyncs, not the SQL, were the cost of a write. Units that arrive together therefore share
one transaction: the first opens it (`BEGIN IMMEDIATE`; alone in it, it needs no
savepoint: a ROLLBACK undoes just it), each unit that joins runs inside its own
`SAVEPOINT`, and one COMMIT (one fsync) ends them all: at once when no other unit is
waiting for the connection (a lone writer never waits), else `commit_window` seconds
later, so the units queued meanwhile join first. Each unit's `async with` returns only
after that COMMIT, so a caller is still answered only once its data is durable. A unit that
raises is rolled back to its savepoint alone; the others in the batch commit. If SQLite
itself abandons the whole transaction (an I/O error, a full disk) or the COMMIT fails,
every unit of the batch raises: none is reported written that is not.

Reads of one statement (`fetch_all`) need neither a savepoint nor its round trips. A read
that runs while a batch is open sees the batch's writes (one connection); only a failed
COMMIT could make those disappear afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

import aiosqlite
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.ext.asyncio import create_async_engine

from supportflow.store.database import Database, Row, Rows, Unit
from supportflow.store.migrate import migrate
from supportflow.store.query import Query
from supportflow.store.urls import DatabaseUrl

log = logging.getLogger(__name__)

# How long a batch stays open for more units after the first one ends: long enough for
# the rooms that write "at the same time" to meet, short beside a 5 to 20 ms fsync.
DEFAULT_COMMIT_WINDOW_SECONDS = 0.001
# How long a start waits for another process's migration of the same file: a whole upgrade
# on a slow, busy disk, not the 5 s sqlite3 waits for a lock by default.
MIGRATION_WAIT_SECONDS = 120.0
_TransactionStatement = Literal[
    "BEGIN IMMEDIATE", "SAVEPOINT unit", "RELEASE unit", "ROLLBACK TO unit", "COMMIT", "ROLLBACK"
]
SYNCHRONOUS_MODES = frozenset({"FULL", "NORMAL", "EXTRA", "OFF"})
# What a `Query` is compiled for here: sqlite3's own `?` placeholders (qmark).
SQLITE_DIALECT = SQLiteDialect_pysqlite()


class _Batch:
    """The units sharing one transaction, and the COMMIT they all wait for."""

    def __init__(self) -> None:
        self.committed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.units = 0


class SqliteDatabase(Database):
    """An open SQLite database in WAL mode with foreign keys on, committing in groups."""

    dialect = "sqlite"

    def __init__(
        self,
        connection: aiosqlite.Connection,
        commit_window: float = DEFAULT_COMMIT_WINDOW_SECONDS,
    ) -> None:
        self._connection = connection
        self._unit = _SqliteUnit(connection)
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
    ) -> SqliteDatabase:
        """Open (creating if needed) and migrate the database at `path`."""
        # A PRAGMA takes no parameters, so its value is checked before it joins the SQL.
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"not a SQLite synchronous mode: {synchronous!r}")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        url = DatabaseUrl(path, None).sqlalchemy_url
        # Nodes sharing one file start together, and each migrates under BEGIN IMMEDIATE:
        # the second waits for the first's transaction, which on a loaded machine outlasts
        # sqlite3's default 5 s ("database is locked" failed a node's start).
        migrator = create_async_engine(url, connect_args={"timeout": MIGRATION_WAIT_SECONDS})
        try:
            await migrate(migrator)
        finally:
            await migrator.dispose()
        # isolation_level=None: autocommit mode, so transactions are exactly the
        # BEGIN/COMMIT that unit() issues and never an implicit one left open.
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        await connection.execute("PRAGMA journal_mode=WAL")
        await connection.execute(f"PRAGMA synchronous={synchronous}")
        await connection.execute("PRAGMA foreign_keys=ON")
        await connection.execute("PRAGMA busy_timeout=5000")
        return cls(connection, commit_window)

    async def close(self) -> None:
        if self._flush is not None:  # let a pending COMMIT finish: its units wait on it
            await asyncio.gather(self._flush, return_exceptions=True)
        async with self._lock:
            await self._commit_batch()
            await self._connection.close()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        self._waiting += 1
        try:
            await self._lock.acquire()
        finally:
            self._waiting -= 1
        try:
            batch = self._batch
            # The unit that opens the batch is alone in it until it ends (it holds the
            # lock): if it fails, ROLLBACK of the whole transaction undoes exactly it, so it
            # needs no savepoint. Two round trips to the database thread fewer for it, that
            # is for every unit of a lone writer (issue 23's profile).
            opens = batch is None
            if batch is None:
                await self._sql("BEGIN IMMEDIATE")
                batch = self._batch = _Batch()
            else:
                await self._sql("SAVEPOINT unit")
            try:
                yield self._unit
            except BaseException:
                await self._undo_unit(batch, opens)
                raise
            if not opens:
                await self._sql("RELEASE unit")
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

    async def _undo_unit(self, batch: _Batch, opened_it: bool) -> None:
        """Roll back the failed unit alone, or, if SQLite dropped the transaction, fail all."""
        if opened_it:  # the batch holds this unit alone: the whole transaction goes
            self._batch = None
            if self._connection.in_transaction:
                await self._sql("ROLLBACK")
            return
        if self._connection.in_transaction:
            await self._sql("ROLLBACK TO unit")
            await self._sql("RELEASE unit")
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
        """COMMIT the open batch (the caller holds the lock) and answer its units.

        The COMMIT runs in a task of its own, seen through even when the caller is cancelled
        meanwhile: once the statement is with the database thread it may land whatever the
        caller does, so the lock is kept until it has, and every unit of the batch is told
        what really happened (a cancelled caller used to roll back a COMMIT that had
        already landed, fail, and leave the batch's other units waiting for good).
        """
        batch, self._batch = self._batch, None
        if batch is None:
            return
        ending = asyncio.ensure_future(self._end_batch(batch))
        cancelled = False
        while not ending.done():
            try:
                await asyncio.shield(ending)
            except asyncio.CancelledError:
                cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    async def _end_batch(self, batch: _Batch) -> None:
        try:
            await self._sql("COMMIT")
        except BaseException as error:
            # Only a COMMIT that did not land can be rolled back; one that did leaves no
            # transaction open, and the units hear of the error either way.
            if self._connection.in_transaction:
                try:
                    await self._sql("ROLLBACK")
                except Exception as rollback_error:
                    error.add_note(f"and the ROLLBACK after it failed: {rollback_error!r}")
            batch.committed.set_exception(error)
            batch.committed.exception()  # each unit re-raises it; none may go unobserved
            if not isinstance(error, Exception):
                raise
            return
        batch.committed.set_result(None)

    async def read(self, query: Query, /, **params: Any) -> list[Row]:
        compiled = query.compiled(SQLITE_DIALECT, params)
        parameters = compiled.parameters(params)
        async with self._lock:  # one trip to the database thread
            return list(await self._connection.execute_fetchall(compiled.sql, parameters))

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._lock:  # one trip to the database thread
            return list(await self._connection.execute_fetchall(sql, params))

    async def _sql(self, statement: _TransactionStatement) -> None:
        """One of the transaction's own statements (BEGIN, SAVEPOINT, COMMIT, ...)."""
        await self._connection.execute(statement)

    async def schema_version(self) -> int:
        async with self._lock:
            rows = await self._connection.execute_fetchall(
                "SELECT version_num FROM alembic_version"
            )
        return int(next(iter(rows))[0]) if rows else 0


class _SqliteUnit(Unit):
    """A unit's statements, as compiled or written, on the one aiosqlite connection."""

    def __init__(self, connection: aiosqlite.Connection) -> None:
        self._connection = connection

    async def run(self, query: Query, /, **params: Any) -> Rows:
        compiled = query.compiled(SQLITE_DIALECT, params)
        if compiled.returns_rows:
            # Statement and rows in one trip to the database thread instead of two; the rows
            # a RETURNING statement gives back are the rows it changed.
            answered = list(
                await self._connection.execute_fetchall(compiled.sql, compiled.parameters(params))
            )
            return Rows(answered, len(answered))
        cursor = await self._connection.execute(compiled.sql, compiled.parameters(params))
        rows = await cursor.fetchall() if cursor.description else []
        return Rows(list(rows), cursor.rowcount)

    async def run_many(self, query: Query, params: Sequence[Mapping[str, Any]]) -> None:
        if params:
            compiled = query.compiled(SQLITE_DIALECT, params[0])
            await self.execute_many(compiled.sql, [compiled.parameters(p) for p in params])

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        cursor = await self._connection.execute(sql, params)
        rows = await cursor.fetchall() if cursor.description else []
        return Rows(list(rows), cursor.rowcount)

    async def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            await self._connection.executemany(sql, params)
