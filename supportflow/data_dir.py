"""The data directory holds chats, tokens' digests and logs: only its owner may read it."""

from __future__ import annotations

import os
from pathlib import Path

from supportflow.settings import Settings

_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def secure_data_dir(settings: Settings) -> None:
    """Create the data dir 0700 (and make an existing one so), and the SQLite database file
    0600 before SQLite opens it: SQLite gives its WAL and shared-memory files the database
    file's permissions."""
    _private_dir(settings.data_dir)
    database = settings.database_file
    if database is None:  # PostgreSQL: its files are the server's
        return
    # A database elsewhere (DATABASE_URL) gets its folder created private, but an existing
    # folder there is the operator's: only the files are made private.
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for suffix in _SQLITE_COMPANIONS:
        path = Path(f"{database}{suffix}")
        if path.exists():
            path.chmod(0o600)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


def _private_dir(path: Path) -> None:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
