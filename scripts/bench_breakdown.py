"""Where a reply's time goes at N rooms, from the server's own metrics and its threads' CPU.

Starts `supportflow serve` with the demo knowledge base (as bench_chat.py does), drives
--rounds rounds of --rooms rooms x 5 questions through bench_chat's client, and reads
/metrics and /proc before and after. It prints, over the measured rounds:

- how busy the model and Chroma were: seconds inside encode calls and inside vector-query
  calls, as a share of the wall time (each runs one batch at a time), with rows and query
  vectors per call;
- the server's CPU by thread, as a share of the cores' time: the event loop's thread runs
  every line of Python of a turn that is not the model, Chroma or SQLite; Chroma's Rust
  threads; and the rest (worker threads calling the model and Chroma, the model's thread pool,
  aiosqlite's thread), which the OS cannot tell apart under CPython 3.11.

Needs no profiler (py-spy is not a project dependency); it reads figures the server keeps
anyway. Like every benchmark, it prints and never asserts.

    python scripts/bench_breakdown.py [--rooms 50] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_chat import DEMO_QUESTIONS, SERVER_ENV, run_round
from benchlib import machine_description, server_encoder, server_process

from supportflow.knowledge.encoder_choice import ENCODER_CHOICES

_TICKS = os.sysconf("SC_CLK_TCK")


def scrape(url: str, token: str) -> dict[str, float]:
    """Every sample of /metrics by name (histograms: their _sum and _count)."""
    response = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    samples: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name.endswith(("_sum", "_count")):
                samples[sample.name] += sample.value
    return samples


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far of each of the process's threads, summed by thread name."""
    seconds: dict[str, float] = defaultdict(float)
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except OSError:
            continue  # the thread ended
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        # utime and stime are fields 14 and 15 of stat, 12 and 13 after the name.
        seconds[_group(name, int(task.name) == pid)] += (int(fields[11]) + int(fields[12])) / _TICKS
    return seconds


def _group(name: str, main: bool) -> str:
    # CPython 3.11 does not name its threads for the OS: worker threads, aiosqlite's and the
    # model's thread pool (torch's OpenMP, or ONNX Runtime's) are all "python"; Chroma's Rust
    # core names its own.
    if main:
        return "event loop thread (the turn's Python, Socket.IO, Hypercorn)"
    if name.startswith(("tokio-rt", "sqlx-sqlite")):
        return "Chroma's own threads (Rust: HNSW, its SQLite)"
    if name.startswith("python"):
        return "other Python threads (model encodes + its thread pool, Chroma calls, aiosqlite)"
    return f"other ({name})"


def delta(after: dict[str, float], before: dict[str, float], name: str) -> float:
    return after.get(name, 0.0) - before.get(name, 0.0)


async def measure(rooms: int, rounds: int, per_room: int, encoder: str) -> None:
    print(f"machine: {machine_description()}")
    with server_process(SERVER_ENV | {"SUPPORTFLOW_ENCODER": encoder}) as server:
        print(f"server encoder: {server_encoder(server.url, server.admin_token)}")
        await run_round(server.url, 1, 3, list(DEMO_QUESTIONS))  # warm-up
        await run_round(server.url, rooms, per_room, list(DEMO_QUESTIONS))
        before, cpu_before = scrape(server.url, server.admin_token), thread_cpu(server.pid)
        started = time.perf_counter()
        replies = 0
        for _ in range(rounds):
            result = await run_round(server.url, rooms, per_room, list(DEMO_QUESTIONS))
            replies += len(result.latencies)
        wall = time.perf_counter() - started
        after, cpu_after = scrape(server.url, server.admin_token), thread_cpu(server.pid)
    print(f"{rounds} rounds of {rooms} rooms x {per_room}: {replies} replies in {wall:.1f} s")
    for label, name, unit in (
        ("model encodes", "supportflow_embedding", "rows"),
        ("Chroma queries", "supportflow_vector_query", "query vectors"),
    ):
        calls = delta(after, before, f"{name}_seconds_count")
        busy = delta(after, before, f"{name}_seconds_sum")
        rows = delta(after, before, f"{name}_batch_size_sum")
        print(
            f"  {label:15} {calls:5.0f} calls, {busy:6.2f} s busy = {busy / wall:4.0%} of wall,"
            f" {busy / max(calls, 1) * 1000:5.1f} ms a call, {rows / max(calls, 1):4.1f} {unit}"
            f" a call, {rows / max(replies, 1):4.2f} a reply"
        )
    turn = delta(after, before, "supportflow_bot_reply_seconds_sum")
    turns = delta(after, before, "supportflow_bot_reply_seconds_count")
    print(f"  bot turn inside the server: {turn / max(turns, 1) * 1000:.1f} ms mean")
    cores = os.cpu_count() or 1
    total = sum(cpu_after.values()) - sum(cpu_before.values())
    print(f"  server CPU: {total:.1f} s = {total / wall / cores:.0%} of {cores} cores")
    for group in sorted(cpu_after, key=lambda g: cpu_before.get(g, 0.0) - cpu_after[g]):
        used = cpu_after[group] - cpu_before.get(group, 0.0)
        print(f"    {group:70} {used:6.1f} s  {used / max(total, 1e-9):4.0%}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--questions-per-room", type=int, default=5, choices=range(1, 11))
    parser.add_argument(
        "--encoder",
        choices=ENCODER_CHOICES,
        default="auto",
        help="what runs the model in the server (SUPPORTFLOW_ENCODER)",
    )
    arguments = parser.parse_args()
    asyncio.run(
        measure(arguments.rooms, arguments.rounds, arguments.questions_per_room, arguments.encoder)
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
