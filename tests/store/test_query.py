"""`Query`: compiled once per dialect, parameters in the right places, locks where they mean
something; then run for real on both engines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

from supportflow.store import RoomState, Store, database
from supportflow.store.query import Query, named_binds
from supportflow.store.schema import agents, sessions
from supportflow.store.sqlite_database import SQLITE_DIALECT

POSTGRES_DIALECT = PGDialect_asyncpg()

_AGENT_LOCKED = Query(
    select(agents.c.agent_id)
    .where(agents.c.agent_id == bindparam("agent_id"), agents.c.is_available == 1)
    .with_for_update(skip_locked=True)
)
_ROOMS_IN = Query(
    select(sessions.c.room_id)
    .where(sessions.c.status.in_(bindparam("states", expanding=True)))
    .where(sessions.c.user_id == bindparam("user_id"))
    .order_by(sessions.c.room_id)
)


def test_compiled_once_per_dialect_and_reused() -> None:
    first = _AGENT_LOCKED.compiled(SQLITE_DIALECT, {})
    assert _AGENT_LOCKED.compiled(SQLITE_DIALECT, {}) is first
    postgres = _AGENT_LOCKED.compiled(POSTGRES_DIALECT, {})
    assert postgres is not first
    assert _AGENT_LOCKED.compiled(POSTGRES_DIALECT, {}) is postgres


def test_locks_render_on_postgresql_only() -> None:
    assert "FOR UPDATE" not in _AGENT_LOCKED.compiled(SQLITE_DIALECT, {}).sql
    assert _AGENT_LOCKED.compiled(POSTGRES_DIALECT, {}).sql.endswith("FOR UPDATE SKIP LOCKED")


def test_parameters_follow_the_placeholders_and_constants_stay_bound() -> None:
    for dialect in (SQLITE_DIALECT, POSTGRES_DIALECT):
        compiled = _AGENT_LOCKED.compiled(dialect, {})
        # The constant 1 is a parameter too: nothing a statement holds is spliced in.
        assert compiled.parameters({"agent_id": "a1"}) == ("a1", 1)
        assert " 1" not in compiled.sql.replace("$1", "")


def test_an_expanding_list_is_compiled_once_per_length() -> None:
    two = _ROOMS_IN.compiled(SQLITE_DIALECT, {"states": ["a", "b"]})
    assert two.sql.count("?") == 3
    assert _ROOMS_IN.compiled(SQLITE_DIALECT, {"states": ["c", "d"]}) is two
    values = {"states": ["a", "b", "c"], "user_id": "u"}
    sqlite = _ROOMS_IN.compiled(SQLITE_DIALECT, values)
    assert sqlite.parameters(values) == ("a", "b", "c", "u")  # `?`s: in the text's order
    postgres = _ROOMS_IN.compiled(POSTGRES_DIALECT, values)
    # Numbered: asyncpg's dialect numbers the list's items after the other parameters.
    assert "IN ($2::VARCHAR, $3::VARCHAR, $4::VARCHAR)" in postgres.sql
    assert "user_id = $1::VARCHAR" in postgres.sql
    assert postgres.parameters(values) == ("u", "a", "b", "c")


def test_a_missing_parameter_says_which() -> None:
    compiled = _AGENT_LOCKED.compiled(SQLITE_DIALECT, {})
    with pytest.raises(TypeError, match="agent_id"):
        compiled.parameters({})
    with pytest.raises(TypeError, match="states"):
        _ROOMS_IN.compiled(SQLITE_DIALECT, {"user_id": "u"})


def test_named_binds_take_each_column_from_its_keyword() -> None:
    statement = update(agents).values(named_binds("name", "updated_at"))
    compiled = Query(statement).compiled(SQLITE_DIALECT, {})
    assert compiled.sql == "UPDATE agents SET name=?, updated_at=?"
    assert compiled.parameters({"updated_at": "t", "name": "n"}) == ("n", "t")


async def test_queries_run_on_the_engine(store: Store) -> None:
    await store.create_agent("a1", "Ann", "digest-a1", 2, True)
    first = await store.create_session("u1", "digest-1")
    second = await store.create_session("u1", "digest-2")
    await store.set_room_state(first.room_id, RoomState.CLOSED, (RoomState.BOT_ACTIVE,))
    async with store._db.unit() as sql:
        rows = (await sql.run(_AGENT_LOCKED, agent_id="a1")).fetchall()
        assert [row["agent_id"] for row in rows] == ["a1"]
    open_only = await store._db.read(_ROOMS_IN, states=["bot_active"], user_id="u1")
    assert [row[0] for row in open_only] == [second.room_id]
    both = await store._db.read(_ROOMS_IN, states=["bot_active", "closed"], user_id="u1")
    assert sorted(row[0] for row in both) == sorted([first.room_id, second.room_id])
    assert await store._db.read_one(_AGENT_LOCKED, agent_id="nobody") is None


def test_statements_that_answer_with_rows_are_known_before_they_run() -> None:
    # An engine runs these and fetches their rows in one trip (issue 23: each trip to
    # SQLite's thread is a hand-off and a loop wake-up); writes without RETURNING are not.
    renamed = update(agents).values(named_binds("name")).where(agents.c.agent_id == "a1")
    assert _AGENT_LOCKED.compiled(SQLITE_DIALECT, {}).returns_rows
    assert Query(renamed.returning(agents.c.name)).compiled(SQLITE_DIALECT, {}).returns_rows
    assert not Query(renamed).compiled(SQLITE_DIALECT, {}).returns_rows


async def test_a_returning_update_counts_the_rows_it_changed(store: Store) -> None:
    await store.create_agent("a1", "Ann", "digest-a1", 2, True)
    await store.create_agent("a2", "Bob", "digest-a2", 2, True)
    rename = update(agents).values(named_binds("name")).where(agents.c.max_concurrent == 2)
    async with store._db.unit() as sql:
        returned = await sql.run(Query(rename.returning(agents.c.agent_id)), name="X")
        plain = await sql.run(Query(rename), name="Y")
        nothing = await sql.run(Query(select(agents.c.name).where(agents.c.name == "Z")))
    assert sorted(row[0] for row in returned.fetchall()) == ["a1", "a2"]
    assert returned.rowcount == plain.rowcount == 2
    assert nothing.fetchone() is None


async def test_a_store_answers_a_ping(store: Store) -> None:
    await store.ping()


def test_database_is_a_leaf_of_the_store() -> None:
    """database.py imports neither engine (engines.py opens them): no import circle."""
    source = Path(database.__file__).read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert {name for name in imported if name.startswith("supportflow")} == {
        "supportflow.store.query"
    }
