"""The query layer's placeholders: `?` numbered into named binds, quoted text left alone."""

from __future__ import annotations

import pytest

from supportflow.store.database import _bind, _statement
from supportflow.store.urls import DatabaseUrl, DatabaseUrlError


def test_placeholders_become_numbered_binds_outside_quotes() -> None:
    statement, count = _statement("SELECT * FROM t WHERE a = ? AND b = '?' AND c IN (?, ?)")
    assert count == 3
    assert str(statement) == "SELECT * FROM t WHERE a = :p0 AND b = '?' AND c IN (:p1, :p2)"


def test_parameters_are_bound_by_position_and_must_match_in_number() -> None:
    _, bound = _bind("UPDATE t SET a = ? WHERE id = ?", ("x", 7))
    assert bound == {"p0": "x", "p1": 7}
    with pytest.raises(ValueError, match="2 placeholders but 1 parameters"):
        _bind("UPDATE t SET a = ? WHERE id = ?", ("x",))


@pytest.mark.parametrize(
    ("url", "driver", "database"),
    [
        ("postgresql://sf@db:5432/support", "postgresql+asyncpg", "support"),
        ("postgres://sf@db/support", "postgresql+asyncpg", "support"),
        ("postgresql+asyncpg://sf:pw@db:6432/support", "postgresql+asyncpg", "support"),
    ],
)
def test_postgres_urls_are_read_with_our_driver(url: str, driver: str, database: str) -> None:
    parsed = DatabaseUrl.parse(url)
    assert parsed.sqlite_path is None
    assert parsed.sqlalchemy_url.drivername == driver
    assert parsed.sqlalchemy_url.database == database


@pytest.mark.parametrize(
    "url", ["mysql://db/x", "postgresql://db", "sqlite:///", "sqlite:///:memory:", "chat.db"]
)
def test_unusable_urls_are_refused_with_what_to_write(url: str) -> None:
    with pytest.raises(DatabaseUrlError):
        DatabaseUrl.parse(url)


def test_a_sqlite_url_is_a_file_path() -> None:
    assert str(DatabaseUrl.parse("sqlite:////var/lib/sf/chat.db").sqlite_path) == (
        "/var/lib/sf/chat.db"
    )
    assert str(DatabaseUrl.parse("sqlite:///data/chat.db").sqlite_path) == "data/chat.db"
