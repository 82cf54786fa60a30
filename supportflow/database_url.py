"""`DATABASE_URL`: which engine, and where.

`sqlite:///relative/path.db` or `sqlite:////absolute/path.db` (SQLAlchemy's spelling: the
path follows the third slash), or `postgresql://user[:password]@host[:port]/database`
(`postgres://` and `postgresql+asyncpg://` are read the same). The driver is always ours to
choose: aiosqlite and asyncpg, the two this project tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

_SQLITE_PREFIX = "sqlite:///"
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")


class DatabaseUrlError(ValueError):
    """A DATABASE_URL this server cannot use, with what it should look like."""


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed database address: a SQLite file, or a PostgreSQL server's database."""

    sqlite_path: Path | None
    postgres: URL | None

    @classmethod
    def parse(cls, target: Path | str | DatabaseUrl) -> DatabaseUrl:
        if isinstance(target, DatabaseUrl):
            return target
        if isinstance(target, Path):
            return cls(target, None)
        if target.startswith(_SQLITE_PREFIX):
            path = target[len(_SQLITE_PREFIX) :]
            if not path or path == ":memory:":
                # An in-memory database would vanish with the process: nothing acknowledged
                # to a customer may be lost.
                raise DatabaseUrlError("sqlite:/// needs a file path, like sqlite:///data/chat.db")
            return cls(Path(path), None)
        scheme = target.split("://", 1)[0] if "://" in target else ""
        if scheme not in _POSTGRES_SCHEMES:
            raise DatabaseUrlError(
                "must look like sqlite:///path/to/file.db or postgresql://user@host:5432/database"
            )
        try:
            url = make_url(target)
        except ArgumentError:
            raise DatabaseUrlError(
                "not a PostgreSQL URL: postgresql://user[:password]@host[:port]/database"
            ) from None
        if not url.database:
            raise DatabaseUrlError("the PostgreSQL URL names no database: add /database")
        return cls(None, url.set(drivername="postgresql+asyncpg"))

    @property
    def sqlalchemy_url(self) -> URL:
        if self.postgres is not None:
            return self.postgres
        return URL.create("sqlite+aiosqlite", database=str(self.sqlite_path))

    def redacted(self) -> str:
        """For logs and health: never the password."""
        if self.postgres is not None:
            return self.postgres.set(drivername="postgresql").render_as_string(hide_password=True)
        return str(self.sqlite_path)
