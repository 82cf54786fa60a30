"""PostgreSQL: a pool of asyncpg connections, one transaction per unit of work.

Units run side by side here, on several connections and from several nodes, so the
repositories lock the rows they decide on (`with_for_update()` in a `Query`: the agent whose
capacity a claim checks, the room whose seq a message takes) and PostgreSQL orders the
rest. A `Query` is compiled for the engine's own dialect (asyncpg's `$1::TYPE`) and its
text handed to asyncpg as is (`exec_driver_sql`), which prepares it once per connection. PostgreSQL
commits concurrent transactions in groups on its own, so there is no batching here.

The server going away (refused, reset, a pool that cannot connect in time) is answered as
503 `database_unavailable`, and no unit is reported written unless its COMMIT returned.
The pool checks a connection before lending it (`pool_pre_ping`), so a restarted server is
used again without restarting supportflow.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from supportflow.errors import Unavailable
from supportflow.store.database import (
    Database,
    Row,
    SqlAlchemyUnit,
    Unit,
    fetch_rows,
    read_rows,
)
from supportflow.store.migrate import migrate, schema_version
from supportflow.store.query import Query

log = logging.getLogger(__name__)

POOL_SIZE = 10
POOL_OVERFLOW = 10
POOL_TIMEOUT_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5.0

# What a database that cannot be reached raises, through SQLAlchemy or around it. An
# IntegrityError or a ProgrammingError is a real answer, not an outage, and passes through.
_OUTAGES = (OSError, TimeoutError, exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


class PostgresDatabase(Database):
    """An open, migrated PostgreSQL database behind a connection pool."""

    dialect = "postgresql"

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @classmethod
    async def open(cls, url: URL) -> PostgresDatabase:
        engine = create_async_engine(
            url,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            pool_pre_ping=True,
            connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
        )
        try:
            await migrate(engine)  # under an advisory lock: nodes starting together migrate once
        except _OUTAGES as error:
            await engine.dispose()
            raise Unavailable(_unreachable(url, error), "database_unavailable") from error
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def close(self) -> None:
        await self._engine.dispose()

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[Unit]:
        try:
            async with self._engine.begin() as connection:
                yield SqlAlchemyUnit(connection)
        except _OUTAGES as error:
            raise self._unavailable(error) from error

    async def read(self, query: Query, /, **params: Any) -> list[Row]:
        try:
            async with self._engine.connect() as connection:
                return await read_rows(connection, query, params)
        except _OUTAGES as error:
            raise self._unavailable(error) from error

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            async with self._engine.connect() as connection:
                return await fetch_rows(connection, sql, params)
        except _OUTAGES as error:
            raise self._unavailable(error) from error

    def _unavailable(self, error: BaseException) -> Unavailable:
        return Unavailable(_unreachable(self._engine.url, error), "database_unavailable")

    async def schema_version(self) -> int:
        async with self._engine.connect() as connection:
            return await connection.run_sync(schema_version)


def _unreachable(url: URL, error: BaseException) -> str:
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database}"
    log.warning("PostgreSQL at %s did not answer: %r", where, error)
    return f"the database (PostgreSQL at {where}) is not reachable; try again shortly"
