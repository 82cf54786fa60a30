"""The one query layer over SQLite and PostgreSQL: units of work, rows, and opening either.

Every statement supportflow runs is written once, in the SQL both engines speak, and runs
through SQLAlchemy Core (`text()`) on aiosqlite or asyncpg; the few places where the two
differ are properties of the unit (`Unit.for_update`), not second copies of a query. The
statements keep their `?` placeholders beside their parameter tuples, which reads best in
the repositories; `_statement` turns each into a `text()` with named binds, once per SQL
string.

A repository method runs whole inside `Database.unit()`: one atomic unit of work, durable
when the block ends, rolled back if it raises. How that is done is the engine's business:
group commit on SQLite's one connection (`sqlite_database.py`), one pooled connection and
transaction per unit on PostgreSQL (`postgres_database.py`). Single reads go through
`fetch_all` / `fetch_one`, which need no transaction of their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import CursorResult, TextClause, text
from sqlalchemy import Row as _SqlRow
from sqlalchemy.ext.asyncio import AsyncConnection

if TYPE_CHECKING:
    from supportflow.store.urls import DatabaseUrl

T = TypeVar("T")

# A `?` outside quotes. The statements are ours (no client text is ever spliced in), and
# none quotes a `?`; the pattern still steps over quoted strings so one never breaks.
_PLACEHOLDER = re.compile(r"'[^']*'|\?")


@lru_cache(maxsize=2048)
def _statement(sql: str) -> tuple[TextClause, int]:
    """`sql` with its `?`s numbered as :p0, :p1, ... and how many there are."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        if match.group() != "?":
            return match.group()
        count += 1
        return f":p{count - 1}"

    return text(_PLACEHOLDER.sub(number, sql)), count


def _bind(sql: str, params: Sequence[Any]) -> tuple[TextClause, dict[str, Any]]:
    statement, count = _statement(sql)
    if count != len(params):
        raise ValueError(f"{count} placeholders but {len(params)} parameters: {sql!r}")
    return statement, {f"p{index}": value for index, value in enumerate(params)}


class Row:
    """One row, read by column name or position (as the repositories and records do)."""

    __slots__ = ("_row",)

    def __init__(self, row: _SqlRow[Any]) -> None:
        self._row = row

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self._row[key]
        return self._row._mapping[key]

    def keys(self) -> list[str]:
        return list(self._row._mapping.keys())

    def __iter__(self) -> Iterator[Any]:
        return iter(self._row)


class Rows:
    """A statement's outcome: its rows (already fetched) and how many rows it changed."""

    def __init__(self, result: CursorResult[Any]) -> None:
        self.rowcount: int = result.rowcount
        self._rows = [Row(row) for row in result.fetchall()] if result.returns_rows else []

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return self._rows


async def finish_even_if_cancelled(awaitable: Awaitable[T]) -> T:
    """Await a statement to its end even when the caller is cancelled meanwhile, then let the
    cancellation through. SQLAlchemy closes a connection whose statement is interrupted (it
    cannot know where the driver stopped): harmless for a pooled connection, fatal for the
    one SQLite connection every unit shares, and its open batch with it."""
    task = asyncio.ensure_future(awaitable)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # the caller is gone: its error is not news to anyone
        raise


async def _as_is(awaitable: Awaitable[T]) -> T:
    return await awaitable


class Unit:
    """The statements of one unit of work, all in its transaction."""

    def __init__(
        self,
        connection: AsyncConnection,
        run: Callable[[Awaitable[Any]], Awaitable[Any]] = _as_is,
    ) -> None:
        self._connection = connection
        self._run = run
        # SQLite runs one writer at a time, so its units need no row locks; PostgreSQL's
        # units run side by side and lock the rows they read to decide (claims, seq).
        postgres = connection.dialect.name == "postgresql"
        self.for_update = " FOR UPDATE" if postgres else ""
        # Work queues leased from several nodes at once: each takes rows the others are not.
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if postgres else ""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        statement, bound = _bind(sql, params)
        return Rows(await self._run(self._connection.execute(statement, bound)))

    async def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """One statement for each parameter tuple (none: nothing runs)."""
        if not params:
            return
        bound = [_bind(sql, row)[1] for row in params]
        await self._run(self._connection.execute(_statement(sql)[0], bound))


async def fetch_rows(connection: AsyncConnection, sql: str, params: Sequence[Any]) -> list[Row]:
    statement, bound = _bind(sql, params)
    result = await connection.execute(statement, bound)
    return [Row(row) for row in result.fetchall()]


class Database(ABC):
    """An open, migrated database: units of work and single reads."""

    dialect: str

    @abstractmethod
    def unit(self) -> AbstractAsyncContextManager[Unit]:
        """One atomic unit of work: durable when the block ends, rolled back if it raises."""

    @abstractmethod
    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one read-only statement."""

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of one read-only statement, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    async def schema_version(self) -> int:
        """The migration revision the database is at, as a number."""

    @abstractmethod
    async def close(self) -> None: ...


async def open_database(target: Path | str | DatabaseUrl, synchronous: str = "FULL") -> Database:
    """Open and migrate a SQLite file (a Path or `sqlite:///...`) or PostgreSQL (a URL)."""
    # Imported here: each module imports this one for Database, Unit and Row.
    from supportflow.store.postgres_database import PostgresDatabase
    from supportflow.store.sqlite_database import SqliteDatabase
    from supportflow.store.urls import DatabaseUrl

    url = DatabaseUrl.parse(target)
    if url.sqlite_path is not None:
        return await SqliteDatabase.open(url.sqlite_path, synchronous)
    return await PostgresDatabase.open(url.sqlalchemy_url)
