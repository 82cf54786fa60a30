"""Bot replies with 1 and with 2 worker processes on this machine, side by side.

Each configuration is the same cluster setup, so the only difference is the number of
processes: `supportflow serve --workers N` over one temporary data dir (one SQLite file
shared by the nodes, or with `--postgres` a fresh PostgreSQL database per configuration),
a Redis key prefix of its own on 127.0.0.1:6379, and a `chroma run` server of its own on
loopback holding the demo knowledge base. Customers are spread over the nodes round-robin
(customer i talks to node i mod N, as a sticky proxy would place them), and each asks
`--questions-per-room` demo questions, one after another, at N rooms at once. It prints
replies/s and p50/p95 latency per configuration, and the 2-worker figure as a ratio to the
1-worker figure of the same run. Nothing here asserts.

    python scripts/bench_workers.py [--rooms 1 10 50] [--questions-per-room 5] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_chat import DEMO_QUESTIONS, SERVER_ENV, Customer, Round
from benchlib import (
    BENCH_ADMIN_TOKEN,
    REPO_HYPERCORN_CONFIG,
    free_port,
    machine_description,
    percentile,
    wait_until_up,
)

REDIS_URL = "redis://127.0.0.1:6379/0"
START_SECONDS = 240.0


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new database on the server of `admin_url` for one run, dropped after."""
    import asyncpg

    name = f"sfbench_{uuid.uuid4().hex[:12]}"

    async def run(statement: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def cluster(workers: int, database_url: str | None) -> Iterator[list[str]]:
    """A Chroma server and `supportflow serve --workers N` over a fresh data dir: node URLs.
    `database_url` None: the SQLite file in the data dir, shared by the workers."""
    chroma_cli = Path(sys.executable).with_name("chroma")
    with tempfile.TemporaryDirectory(prefix="supportflow-bench-workers-") as data_dir:
        chroma_url = f"http://127.0.0.1:{free_port()}"
        chroma = subprocess.Popen(
            [str(chroma_cli), "run", "--path", f"{data_dir}/chroma-server", "--host",
             "127.0.0.1", "--port", chroma_url.rsplit(":", 1)[1]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_until_up(chroma_url, chroma, "/api/v2/heartbeat", START_SECONDS)
            port = free_port()
            env = {
                **os.environ,
                **SERVER_ENV,
                "SUPPORTFLOW_DATA_DIR": data_dir,
                "SUPPORTFLOW_ADMIN_TOKEN": BENCH_ADMIN_TOKEN,
                "SUPPORTFLOW_SESSIONS_PER_MINUTE": "1000000",
                "SUPPORTFLOW_LOG_LEVEL": "WARNING",
                "SUPPORTFLOW_REDIS_URL": REDIS_URL,
                "SUPPORTFLOW_REDIS_PREFIX": f"sfbench-{uuid.uuid4().hex[:8]}",
                "SUPPORTFLOW_CHROMA_URL": chroma_url,
                "HF_HUB_OFFLINE": "1",
                **({"DATABASE_URL": database_url} if database_url else {}),
            }
            nodes = subprocess.Popen(
                [sys.executable, "-m", "supportflow", "serve", "--workers", str(workers),
                 "--port", str(port), "--config", str(REPO_HYPERCORN_CONFIG)],
                env=env,
                cwd=data_dir,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                urls = [f"http://127.0.0.1:{port + i}" for i in range(workers)]
                for url in urls:
                    wait_until_up(url, nodes, "/api/health", START_SECONDS)
                yield urls
            finally:
                _stop(nodes)
        finally:
            _stop(chroma)


async def one_round(urls: list[str], rooms: int, per_room: int, result: Round) -> None:
    """`rooms` customers at once, customer i on node i mod N."""
    async with httpx.AsyncClient(base_url=urls[0], timeout=60) as http:
        sessions = [(await http.post("/api/sessions", json={})).json() for _ in range(rooms)]
    customers = [Customer(urls[i % len(urls)], s) for i, s in enumerate(sessions)]
    for start in range(0, rooms, 50):
        await asyncio.gather(*(c.open() for c in customers[start : start + 50]))

    async def converse(index: int, customer: Customer) -> None:
        for turn in range(per_room):
            if customer.escalated:
                return
            question = DEMO_QUESTIONS[(index * per_room + turn) % len(DEMO_QUESTIONS)]
            result.latencies.append(await customer.ask(question))
        result.escalated += customer.escalated

    started = time.perf_counter()
    await asyncio.gather(*(converse(i, c) for i, c in enumerate(customers)))
    result.elapsed += time.perf_counter() - started
    await asyncio.gather(*(c.client.disconnect() for c in customers))


async def measure(urls: list[str], counts: list[int], per_room: int) -> dict[int, Round]:
    warm = Round(len(urls))
    await one_round(urls, len(urls), 3, warm)  # every node: lexical index, caches, model
    rounds = {}
    for rooms in counts:
        result = Round(rooms)
        while len(result.latencies) < 40:
            await one_round(urls, rooms, per_room, result)
        rounds[rooms] = result
    return rounds


def _line(workers: int, result: Round) -> str:
    p50, p95 = (percentile(result.latencies, q) * 1000 for q in (0.5, 0.95))
    return (
        f"{workers} worker(s)  N={result.rooms:4d} rooms: {result.rate:6.1f} replies/s"
        f"  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  ({len(result.latencies)} replies,"
        f" escalated rooms {result.escalated})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, nargs="*", default=[1, 10, 50])
    parser.add_argument("--questions-per-room", type=int, default=5, choices=range(1, 11))
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    parser.add_argument(
        "--postgres",
        metavar="ADMIN_URL",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/postgres",
        help="store in a fresh PostgreSQL database per run, created through ADMIN_URL"
        " (default the local server) and dropped after; without it, one SQLite file",
    )
    args = parser.parse_args()
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(f"machine: {machine_description()}; store {engine}; load {os.getloadavg()[0]:.1f}")
    figures: dict[int, dict[int, Round]] = {}
    for workers in args.workers:
        with ExitStack() as stack:
            database = stack.enter_context(fresh_postgres(args.postgres)) if args.postgres else None
            urls = stack.enter_context(cluster(workers, database))
            figures[workers] = asyncio.run(measure(urls, args.rooms, args.questions_per_room))
        for result in figures[workers].values():
            print(_line(workers, result), flush=True)
    base, *others = args.workers
    for rooms in args.rooms:
        for workers in others:
            one, many = figures[base][rooms], figures[workers][rooms]
            ratio = many.rate / one.rate if one.rate else 0.0
            print(f"N={rooms:4d} rooms: {workers} workers / {base}: {ratio:4.2f}x replies/s")
    print(f"load at the end {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
