"""Transcript search latency over 100,000 messages, on SQLite and PostgreSQL.

Fills a fresh store (a temporary SQLite file; with --postgres, also a fresh database on that
server, dropped afterwards) with --messages messages in chats of 20, written the way the app
writes them (the FTS5 triggers or the GIN index maintained as rows arrive), then times
`Store.search_conversations` for a mix of searches, as the admin and as an agent: rare and
common words, two words, a phrase, and filters by customer, state and dates. Prints p50/p95
per kind and overall (target: p95 < 100 ms).

    python scripts/bench_search.py --postgres postgresql://127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import machine_description, percentile, summary_ms

from supportflow.store import RoomState, Store
from supportflow.store.search import SearchQuery, SearchScope

PER_CHAT = 20
AGENTS = 20
CUSTOMERS = 2_000
WORDS = tuple(
    [
        "bill",
        "billing",
        "charge",
        "charges",
        "roaming",
        "data",
        "plan",
        "sim",
        "card",
        "router",
        "wifi",
        "signal",
        "outage",
        "refund",
        "payment",
        "invoice",
        "contract",
        "upgrade",
        "phone",
        "number",
        "port",
        "porting",
        "voicemail",
        "coverage",
        "speed",
        "broadband",
        "fibre",
        "modem",
        "password",
        "account",
        "login",
        "app",
        "balance",
        "credit",
        "top",
        "up",
        "international",
        "call",
        "text",
        "minutes",
        "bundle",
        "cancel",
        "cancellation",
        "fee",
        "discount",
        "loyalty",
        "offer",
        "engineer",
        "visit",
        "appointment",
        "delivery",
        "order",
        "tracking",
        "handset",
        "screen",
        "battery",
        "insurance",
        "claim",
        "lost",
        "stolen",
        "block",
        "unlock",
        "pin",
        "puk",
        "esim",
        "activate",
        "activation",
        "travel",
        "europe",
        "spain",
        "france",
        "usa",
        "abroad",
        "dispute",
        "overcharged",
        "late",
        "direct",
        "debit",
        "bank",
        "card",
        "expiry",
        "address",
        "move",
        "home",
        "business",
    ]
)
FILLER = tuple(
    [
        "i",
        "my",
        "the",
        "a",
        "is",
        "it",
        "not",
        "and",
        "to",
        "of",
        "for",
        "on",
        "in",
        "with",
        "please",
        "thanks",
        "can",
        "you",
        "why",
        "how",
    ]
)
STATES = (RoomState.CLOSED,) * 8 + (RoomState.BOT_ACTIVE, RoomState.AGENT_ASSIGNED)


def sentence(rng: random.Random) -> str:
    # Zipf-like: the first words of WORDS are far more common than the last.
    weights = [1 / (rank + 1) for rank in range(len(WORDS))]
    topic = rng.choices(WORDS, weights, k=rng.randint(2, 5))
    return " ".join(rng.sample(FILLER, 4) + topic + [str(rng.randint(1, 99_999))])


async def fill(store: Store, messages: int, seed: int = 25) -> None:
    """`messages` messages in chats of PER_CHAT, over the last 90 days."""
    rng = random.Random(seed)
    db = store._db  # the bench writes in bulk, below the repository's one-row methods
    start = datetime.now(UTC) - timedelta(days=90)
    chats = messages // PER_CHAT
    async with db.unit() as sql:
        stamp = start.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        await sql.execute_many(
            "INSERT INTO users (user_id, name, created_at) VALUES (?, ?, ?)",
            [(f"cust-{n}", f"Customer {n}", stamp) for n in range(CUSTOMERS)],
        )
        await sql.execute_many(
            "INSERT INTO agents (agent_id, name, token_digest, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(f"agent-{n}", f"Agent {n}", f"d-{n}", stamp, stamp) for n in range(AGENTS)],
        )
    for first in range(0, chats, 250):
        sessions, rows, escalations = [], [], []
        for chat in range(first, min(first + 250, chats)):
            began = start + timedelta(minutes=chat * 90 * 24 * 60 / chats)
            at = began.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            state = rng.choice(STATES)
            agent = f"agent-{rng.randrange(AGENTS)}"
            sid = f"s-{chat}"
            held = agent if state is RoomState.AGENT_ASSIGNED else None
            user = f"cust-{rng.randrange(CUSTOMERS)}"
            sessions.append((sid, f"room-{chat}", user, held, state.value, f"t-{chat}", at, at))
            if state is not RoomState.BOT_ACTIVE:
                escalations.append((f"e-{chat}", sid, "[]", at, at, agent, "claimed"))
            for seq in range(1, PER_CHAT + 1):
                sender = ("user", "bot", "agent")[seq % 3]
                private = "agents" if sender == "agent" and rng.random() < 0.1 else "all"
                rows.append((f"room-{chat}", seq, sender, None, sentence(rng), "{}", at, private))
        async with db.unit() as sql:
            await sql.execute_many(
                "INSERT INTO sessions (session_id, room_id, user_id, agent_id, status,"
                " token_digest, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                sessions,
            )
            await sql.execute_many(
                "INSERT INTO escalations (escalation_id, session_id, reasons, triggered_at,"
                " handled_at, handled_by, status) VALUES (?, ?, ?, ?, ?, ?, ?)",
                escalations,
            )
            await sql.execute_many(
                "INSERT INTO messages (room_id, seq, sender_type, sender_id, body, metadata,"
                " created_at, visibility) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )


def searches() -> list[tuple[str, SearchScope, SearchQuery]]:
    admin = SearchScope(everything=True)
    agent = SearchScope(agent_id="agent-3")
    month_ago = (datetime.now(UTC) - timedelta(days=30)).date()
    return [
        ("rare word, admin", admin, SearchQuery("business")),
        ("common word, admin", admin, SearchQuery("bill")),
        ("two words, admin", admin, SearchQuery("roaming spain")),
        ("phrase, admin", admin, SearchQuery('"data plan"')),
        ("common word, page 5", admin, SearchQuery("charge", page=5)),
        ("common word, agent", agent, SearchQuery("bill")),
        ("rare word, agent", agent, SearchQuery("business")),
        ("customer filter", admin, SearchQuery("refund", customer="cust-42")),
        ("state filter", admin, SearchQuery("router", states=(RoomState.AGENT_ASSIGNED,))),
        ("last 30 days", admin, SearchQuery("sim", since=month_ago)),
        ("no text, by customer", admin, SearchQuery(customer="cust-7")),
    ]


async def bench(store: Store, rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {}
    plan = searches()
    for _name, scope, query in plan:  # warm-up: caches, the planner's statistics
        await store.search_conversations(scope, query)
    for _ in range(rounds):
        for name, scope, query in plan:
            began = time.perf_counter()
            await store.search_conversations(scope, query)
            timings.setdefault(name, []).append(time.perf_counter() - began)
    return timings


def report(engine: str, timings: dict[str, list[float]], filled: float, messages: int) -> None:
    print(f"\n{engine}: {messages:,} messages (filled in {filled:.0f} s)")
    for name, samples in timings.items():
        print(f"  {name:<22} {summary_ms(samples)}")
    every = [sample for samples in timings.values() for sample in samples]
    verdict = "meets" if percentile(every, 0.95) < 0.1 else "MISSES"
    print(f"  {'all searches':<22} {summary_ms(every)}  ({verdict} p95 < 100 ms)")


@contextlib.asynccontextmanager
async def fresh_postgres(server_url: str) -> AsyncIterator[str]:
    """A new database on the server at `server_url`, dropped afterwards."""
    name = f"sf_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield server_url.rsplit("/", 1)[0] + f"/{name}"
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def run_engine(engine: str, target: str | Path, messages: int, rounds: int) -> None:
    store = await Store.open(target, synchronous="NORMAL")
    try:
        began = time.perf_counter()
        await fill(store, messages)
        if store.dialect == "postgresql":
            async with store._db.unit() as sql:
                await sql.execute("ANALYZE")
        filled = time.perf_counter() - began
        report(engine, await bench(store, rounds), filled, messages)
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=30, help="times each search runs")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is made)")
    args = parser.parse_args()
    print(machine_description())
    with tempfile.TemporaryDirectory() as folder:
        await run_engine("SQLite (FTS5)", Path(folder) / "bench.db", args.messages, args.rounds)
    if args.postgres:
        async with fresh_postgres(args.postgres) as url:
            await run_engine("PostgreSQL (tsvector, GIN)", url, args.messages, args.rounds)


if __name__ == "__main__":
    asyncio.run(main())
