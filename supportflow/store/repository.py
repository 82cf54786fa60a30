"""`Store`: the repository that owns every SQL statement supportflow runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import literal, select

from supportflow.store.accounts import AccountsRepository
from supportflow.store.canned_replies import CannedRepliesRepository
from supportflow.store.customer_history import CustomerHistoryRepository
from supportflow.store.database import Database
from supportflow.store.engines import open_database
from supportflow.store.feedback import FeedbackRepository
from supportflow.store.fencing import FencingRepository
from supportflow.store.learned_examples import LearnedExamplesRepository
from supportflow.store.query import Query
from supportflow.store.ratings import RatingsRepository
from supportflow.store.reports import ReportsRepository
from supportflow.store.retention import RetentionRepository
from supportflow.store.room_reads import RoomReadsRepository
from supportflow.store.rooms import RoomsRepository
from supportflow.store.search import SearchRepository
from supportflow.store.sites import SitesRepository
from supportflow.store.teams import TeamsRepository
from supportflow.store.webhooks import WebhooksRepository

if TYPE_CHECKING:
    from supportflow.store.urls import DatabaseUrl

_PING = Query(select(literal(1)))


class Store(
    AccountsRepository,
    RoomsRepository,
    RoomReadsRepository,
    FencingRepository,
    CannedRepliesRepository,
    WebhooksRepository,
    RatingsRepository,
    FeedbackRepository,
    ReportsRepository,
    RetentionRepository,
    SitesRepository,
    LearnedExamplesRepository,
    SearchRepository,
    CustomerHistoryRepository,
    TeamsRepository,
):
    """Typed reads and atomic writes over SQLite or PostgreSQL; nothing else writes SQL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @classmethod
    async def open(cls, target: Path | str | DatabaseUrl, synchronous: str = "FULL") -> Store:
        """Open and migrate a SQLite file (a Path, or `sqlite:///...`) or a PostgreSQL
        database (`postgresql://...`); `synchronous` is SQLite's durability mode."""
        return cls(await open_database(target, synchronous))

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._db.dialect

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self._db.unit() as sql:
            await sql.run(_PING)
