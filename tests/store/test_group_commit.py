"""Group commit on real SQLite (synchronous=FULL): shared fsyncs, answers only when durable."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from supportflow.store import Store
from supportflow.store.sqlite_database import SqliteDatabase as Database

UNITS = 40


@pytest.fixture(name="db")
async def fixture_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "group.db", synchronous="FULL")
    async with database.unit() as sql:
        await sql.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, label TEXT NOT NULL)")
    yield database
    await database.close()


async def count_commits(db: Database) -> list[str]:
    statements: list[str] = []
    # The connection's trace hook sees every statement SQLite runs, COMMITs included.
    await db._connection.set_trace_callback(statements.append)
    return statements


def committed_rows(path: Path) -> set[int]:
    """The rows another connection sees: only what is committed."""
    with sqlite3.connect(path) as other:
        return {row[0] for row in other.execute("SELECT n FROM t")}


async def test_concurrent_units_share_commits_and_answer_only_when_durable(
    db: Database, tmp_path: Path
) -> None:
    statements = await count_commits(db)
    seen_when_answered: dict[int, bool] = {}

    async def write(n: int) -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (?, ?)", (n, f"row {n}"))
        # Answered: the row must already be committed, visible to any other connection.
        seen_when_answered[n] = n in committed_rows(tmp_path / "group.db")

    await asyncio.gather(*(write(n) for n in range(UNITS)))
    assert seen_when_answered == dict.fromkeys(range(UNITS), True)
    commits = [s for s in statements if s == "COMMIT"]
    assert 1 <= len(commits) < UNITS / 4, len(commits)  # shared: far fewer fsyncs than units


async def test_one_failing_unit_loses_nothing_of_the_others(db: Database, tmp_path: Path) -> None:
    async def write(n: int) -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (?, ?)", (n, f"row {n}"))
            if n == 7:
                raise RuntimeError("the caller's own code failed after its insert")
            if n == 13:  # an SQL error: NOT NULL
                await sql.execute("INSERT INTO t VALUES (?, NULL)", (1000 + n,))

    results = await asyncio.gather(*(write(n) for n in range(UNITS)), return_exceptions=True)
    assert isinstance(results[7], RuntimeError)
    assert isinstance(results[13], sqlite3.IntegrityError)
    assert [r for i, r in enumerate(results) if i not in (7, 13)] == [None] * (UNITS - 2)
    assert committed_rows(tmp_path / "group.db") == set(range(UNITS)) - {7, 13}
    # The database is still usable and consistent afterwards.
    async with db.unit() as sql:
        await sql.execute("INSERT INTO t VALUES (?, ?)", (7, "again"))
    assert 7 in committed_rows(tmp_path / "group.db")


async def test_a_failed_commit_fails_every_unit_of_its_batch(db: Database) -> None:
    # A deferred foreign key is checked at COMMIT: the whole batch's COMMIT fails.
    async with db.unit() as sql:
        await sql.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
        await sql.execute(
            "CREATE TABLE child (id INTEGER PRIMARY KEY, parent INTEGER"
            " REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
        )

    async def orphan() -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO child VALUES (1, 999)")

    async def innocent(n: int) -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (?, ?)", (n, "same batch"))

    results = await asyncio.gather(orphan(), innocent(1), innocent(2), return_exceptions=True)
    # None is reported written that is not: all three learn their batch did not commit.
    assert all(isinstance(result, sqlite3.IntegrityError) for result in results), results
    assert await db.fetch_all("SELECT n FROM t") == []
    async with db.unit() as sql:  # and the next batch commits normally
        await sql.execute("INSERT INTO t VALUES (1, 'retried')")
    assert [row[0] for row in await db.fetch_all("SELECT n FROM t")] == [1]


async def test_message_seqs_stay_gap_free_and_ordered_under_concurrent_writes(
    tmp_path: Path,
) -> None:
    store = await Store.open(tmp_path / "rooms.db", synchronous="FULL")
    try:
        room = (await store.create_session("alice", token_digest="d-alice")).room_id
        other = (await store.create_session("bob", token_digest="d-bob")).room_id

        async def post(n: int) -> int | None:
            target = "no-such-room" if n % 9 == 4 else (room if n % 2 else other)
            try:
                stored = await store.append_message(target, "user", "u", f"message {n}")
            except Exception:
                return None
            return stored.message.seq

        seqs = await asyncio.gather(*(post(n) for n in range(UNITS)))
        for target, parity in ((room, 1), (other, 0)):
            stored = await store.messages_after(target, 0)
            assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
            # The seq each caller was answered is the one stored with its message, and
            # seqs follow the order the writes were made in.
            mine = [(n, seq) for n, seq in enumerate(seqs) if seq is not None and n % 2 == parity]
            assert [seq for _, seq in mine] == list(range(1, len(mine) + 1))
            assert {m.body for m in stored} == {f"message {n}" for n, _ in mine}
    finally:
        await store.close()


async def test_a_lone_writer_commits_at_once_without_waiting_for_the_window(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "lone.db", synchronous="FULL", commit_window=30.0)
    try:
        async with db.unit() as sql:
            await sql.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, label TEXT NOT NULL)")
        # With nobody queued behind it, a unit must not sit out the (here huge) window.
        async with asyncio.timeout(10):
            async with db.unit() as sql:
                await sql.execute("INSERT INTO t VALUES (1, 'alone')")
        assert committed_rows(tmp_path / "lone.db") == {1}
    finally:
        await db.close()


async def test_a_unit_cancelled_mid_statement_leaves_the_connection_working(
    db: Database, tmp_path: Path
) -> None:
    """The one SQLite connection every unit shares must outlive a cancelled caller (a room
    stopped, a request timed out), and the cancelled unit must leave nothing behind."""
    started = asyncio.Event()

    async def slow() -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (1, 'cancelled')")
            started.set()
            await sql.execute(  # long enough to be cancelled while SQLite runs it
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                " WHERE i < 3000000) SELECT COUNT(*) FROM n"
            )

    task = asyncio.create_task(slow())
    await started.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.unit() as sql:
        await sql.execute("INSERT INTO t VALUES (2, 'after')")
    assert committed_rows(tmp_path / "group.db") == {2}  # the cancelled unit left nothing


async def test_a_lone_unit_is_its_statements_between_begin_and_commit(db: Database) -> None:
    # The unit that opens a batch needs no savepoint (issue 23's profile: each statement is
    # a round trip to the database thread); one that joins it keeps its own.
    statements = await count_commits(db)
    async with db.unit() as sql:
        await sql.execute("INSERT INTO t VALUES (?, ?)", (1, "lone"))
    assert statements == ["BEGIN IMMEDIATE", "INSERT INTO t VALUES (1, 'lone')", "COMMIT"]


async def test_a_failing_unit_that_opened_its_batch_is_undone_alone(
    db: Database, tmp_path: Path
) -> None:
    opened = asyncio.Event()

    async def opener() -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (?, ?)", (1, "opener"))
            opened.set()
            await asyncio.sleep(0.05)  # the others queue behind it meanwhile
            raise RuntimeError("the opener's own code failed after its insert")

    async def joiner(n: int) -> None:
        await opened.wait()
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (?, ?)", (n, "joiner"))

    results = await asyncio.gather(
        opener(), *(joiner(n) for n in range(2, 6)), return_exceptions=True
    )
    assert isinstance(results[0], RuntimeError)
    assert results[1:] == [None] * 4
    assert committed_rows(tmp_path / "group.db") == {2, 3, 4, 5}
    async with db.unit() as sql:  # the connection is in no transaction it should not be in
        await sql.execute("INSERT INTO t VALUES (?, ?)", (1, "again"))
    assert committed_rows(tmp_path / "group.db") == {1, 2, 3, 4, 5}


async def test_a_committer_cancelled_mid_commit_still_answers_its_batch(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The unit that ends a batch runs its COMMIT; a shutdown may cancel it while the COMMIT
    # is with the database. The other units of the batch were not cancelled: they must hear
    # what really happened, not the committer's cancellation (and never wait for good).
    reached, release = asyncio.Event(), asyncio.Event()
    real_sql = db._sql

    async def gated_sql(statement: Any) -> None:
        if statement == "COMMIT":
            reached.set()
            await release.wait()
        await real_sql(statement)

    monkeypatch.setattr(db, "_sql", gated_sql)

    async def write(n: int, after: asyncio.Event | None = None) -> None:
        async with db.unit() as sql:
            await sql.execute("INSERT INTO t VALUES (?, ?)", (n, f"row {n}"))
            if after is not None:
                await after.wait()

    second_queued = asyncio.Event()
    first = asyncio.create_task(write(1, after=second_queued))
    await asyncio.sleep(0.05)  # the first unit holds the batch open
    second = asyncio.create_task(write(2))  # queues behind it, then commits the batch
    await asyncio.sleep(0.01)
    assert db._waiting == 1  # it waits for the lock the first unit holds
    second_queued.set()
    await asyncio.wait_for(reached.wait(), 5)
    second.cancel()
    release.set()
    await asyncio.wait_for(first, 5)  # answered: committed, not "cancelled"
    with pytest.raises(asyncio.CancelledError):
        await second
    assert committed_rows(tmp_path / "group.db") == {1, 2}
    async with db.unit() as sql:  # and the database takes the next unit
        await sql.execute("INSERT INTO t VALUES (?, ?)", (3, "next"))
    assert committed_rows(tmp_path / "group.db") == {1, 2, 3}
