"""`Store`: the repository that owns every SQL statement supportflow runs."""

from __future__ import annotations

from pathlib import Path

from supportflow.store.accounts import AccountsRepository
from supportflow.store.canned import CannedRepliesRepository
from supportflow.store.database import Database
from supportflow.store.feedback import FeedbackRepository
from supportflow.store.fencing import FencingRepository
from supportflow.store.ratings import RatingsRepository
from supportflow.store.reports import ReportsRepository
from supportflow.store.retention import RetentionRepository
from supportflow.store.rooms import RoomsRepository
from supportflow.store.webhooks import WebhooksRepository


class Store(
    AccountsRepository,
    RoomsRepository,
    FencingRepository,
    CannedRepliesRepository,
    WebhooksRepository,
    RatingsRepository,
    FeedbackRepository,
    ReportsRepository,
    RetentionRepository,
):
    """Typed reads and atomic writes over the SQLite database; nothing else writes SQL."""

    def __init__(self, database: Database) -> None:
        self._db = database

    @classmethod
    async def open(cls, path: Path, synchronous: str = "FULL") -> Store:
        """Open and migrate the database file at `path`."""
        return cls(await Database.open(path, synchronous))

    async def close(self) -> None:
        await self._db.close()

    async def schema_version(self) -> int:
        return await self._db.schema_version()

    async def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        async with self._db.unit() as sql:
            await sql.execute("SELECT 1")
