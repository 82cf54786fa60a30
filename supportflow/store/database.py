"""The one query layer over SQLite and PostgreSQL: units of work, rows, and `Query` runs.

Statements are `Query` objects (`supportflow.store.query`): built once with SQLAlchemy Core
against `schema.py`, compiled once per dialect, run as compiled text straight on the driver
(aiosqlite on SQLite: SQLAlchemy's execution layer on this path measured 30% of replies/s
at 50 rooms; asyncpg on PostgreSQL, through `exec_driver_sql`). `Unit.run` and
`Database.read` / `read_one` take one with its parameters as keywords. docs/database.md
shows how to write a new one.

The older style, SQL strings with `?` placeholders (`Unit.execute`, `Database.fetch_all`,
the `for_update` / `skip_locked` fragments), still runs, for store modules written in it
elsewhere while the store moved to `Query` (none of this package's own uses it): on SQLite
as written, on PostgreSQL turned into a `text()` with named binds. New code uses `Query`.

A repository method runs whole inside `Database.unit()`: one atomic unit of work, durable
when the block ends, rolled back if it raises. How that is done is the engine's business:
group commit on SQLite's one connection (`sqlite_database.py`), one pooled connection and
transaction per unit on PostgreSQL (`postgres_database.py`). Single reads need no
transaction of their own. This module imports neither engine: `engines.open_database`
opens one.
"""

from __future__ import annotations

import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Row as _SqlRow
from sqlalchemy import TextClause, exc, text
from sqlalchemy.ext.asyncio import AsyncConnection

from supportflow.store.query import Query

# What a constraint refused (a taken key, a foreign key), from either engine's driver.
IntegrityError: tuple[type[Exception], ...] = (sqlite3.IntegrityError, exc.IntegrityError)

# The string style's `?` outside quotes. The statements are ours (no client text is ever
# spliced in), and none quotes a `?`; the pattern still steps over quoted strings anyway.
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


class Row(Protocol):
    """One row, read by column name or position (as the repositories and records do):
    `sqlite3.Row` on SQLite, a SQLAlchemy row's view on PostgreSQL."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def keys(self) -> list[str]: ...


class Rows:
    """A statement's outcome: its rows (already fetched) and how many rows it changed."""

    def __init__(self, rows: Sequence[Row], rowcount: int) -> None:
        self.rowcount = rowcount
        self._rows = rows

    def fetchone(self) -> Row | None:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Row]:
        return list(self._rows)


class Unit(ABC):
    """The statements of one unit of work, all in its transaction."""

    # Whether the engine takes row locks: a statement run only to take one (a `Query` of
    # `with_for_update()` whose rows nobody reads) can be skipped where it does not.
    row_locks = False
    # The string style's lock fragments (a `Query` says `with_for_update(...)` instead).
    # SQLite runs one writer at a time, so its units need no row locks; PostgreSQL's units
    # run side by side and lock the rows they read to decide (claims, a room's seq)...
    for_update = ""
    # ...and work queues leased from several nodes at once take rows the others are not.
    skip_locked = ""

    @abstractmethod
    async def run(self, query: Query, /, **params: Any) -> Rows:
        """Run `query` with `params` (its bindparams' values, by name)."""

    @abstractmethod
    async def run_many(self, query: Query, params: Sequence[Mapping[str, Any]]) -> None:
        """Run `query` once for each mapping of parameters (none: nothing runs). Its
        expanding lists, if any, must have the same length in every mapping."""

    @abstractmethod
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        """Run one statement of the string style (`?` placeholders)."""

    @abstractmethod
    async def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        """One statement for each parameter tuple (none: nothing runs)."""


class _MappedRow:
    """A SQLAlchemy row as a `Row`."""

    __slots__ = ("_row",)

    def __init__(self, row: _SqlRow[Any]) -> None:
        self._row = row

    def __getitem__(self, key: int | str, /) -> Any:
        if isinstance(key, int):
            return self._row[key]
        return self._row._mapping[key]

    def keys(self) -> list[str]:
        return list(self._row._mapping.keys())


class SqlAlchemyUnit(Unit):
    """A unit on a SQLAlchemy connection (PostgreSQL through asyncpg)."""

    row_locks = True
    for_update = " FOR UPDATE"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def run(self, query: Query, /, **params: Any) -> Rows:
        compiled = query.compiled(self._connection.dialect, params)
        result = await self._connection.exec_driver_sql(compiled.sql, compiled.parameters(params))
        rows = [_MappedRow(row) for row in result.fetchall()] if result.returns_rows else []
        return Rows(rows, result.rowcount)

    async def run_many(self, query: Query, params: Sequence[Mapping[str, Any]]) -> None:
        if params:
            compiled = query.compiled(self._connection.dialect, params[0])
            await self._connection.exec_driver_sql(
                compiled.sql, [compiled.parameters(values) for values in params]
            )

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Rows:
        statement, bound = _bind(sql, params)
        result = await self._connection.execute(statement, bound)
        rows = [_MappedRow(row) for row in result.fetchall()] if result.returns_rows else []
        return Rows(rows, result.rowcount)

    async def execute_many(self, sql: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            bound = [_bind(sql, row)[1] for row in params]
            await self._connection.execute(_statement(sql)[0], bound)


async def fetch_rows(connection: AsyncConnection, sql: str, params: Sequence[Any]) -> list[Row]:
    statement, bound = _bind(sql, params)
    result = await connection.execute(statement, bound)
    return [_MappedRow(row) for row in result.fetchall()]


async def read_rows(connection: AsyncConnection, query: Query, params: dict[str, Any]) -> list[Row]:
    compiled = query.compiled(connection.dialect, params)
    result = await connection.exec_driver_sql(compiled.sql, compiled.parameters(params))
    return [_MappedRow(row) for row in result.fetchall()]


class Database(ABC):
    """An open, migrated database: units of work and single reads."""

    dialect: str

    @abstractmethod
    def unit(self) -> AbstractAsyncContextManager[Unit]:
        """One atomic unit of work: durable when the block ends, rolled back if it raises."""

    @abstractmethod
    async def read(self, query: Query, /, **params: Any) -> list[Row]:
        """The rows of one read-only `query` run with `params`."""

    async def read_one(self, query: Query, /, **params: Any) -> Row | None:
        """The first row of one read-only `query`, or None."""
        rows = await self.read(query, **params)
        return rows[0] if rows else None

    @abstractmethod
    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """The rows of one read-only statement of the string style."""

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row of one read-only statement of the string style, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    @abstractmethod
    async def schema_version(self) -> int:
        """The migration revision the database is at, as a number."""

    @abstractmethod
    async def close(self) -> None: ...
