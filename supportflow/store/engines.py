"""Opening a database: the engine a target names, opened and migrated.

Apart from `database.py` so that module stays a leaf: both engines import it for
`Database`, `Unit` and `Row`, and only this one imports the engines.
"""

from __future__ import annotations

from pathlib import Path

from supportflow.store.database import Database
from supportflow.store.postgres_database import PostgresDatabase
from supportflow.store.sqlite_database import SqliteDatabase
from supportflow.store.urls import DatabaseUrl


async def open_database(target: Path | str | DatabaseUrl, synchronous: str = "FULL") -> Database:
    """Open and migrate a SQLite file (a Path or `sqlite:///...`) or PostgreSQL (a URL)."""
    url = DatabaseUrl.parse(target)
    if url.sqlite_path is not None:
        return await SqliteDatabase.open(url.sqlite_path, synchronous)
    return await PostgresDatabase.open(url.sqlalchemy_url)
