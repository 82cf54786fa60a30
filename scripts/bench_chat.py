"""Bot reply latency and throughput over Socket.IO, against the sequential floors.

Starts `supportflow serve` with the demo knowledge base (or targets --url), or ingests
--kb FILE.jsonl; then for N in {1, 10, 50, 200}: N customers, each in a room of its own on
its own socket, send M questions one after another, each waiting for the bot's reply.
Prints p50/p95/p99 reply latency (send to the bot's `new_message`) and replies per second.

The floors are measured in the same run, in this process, on the same knowledge base
(floors.py): embed one question and run one top-4 Chroma query, in a tight loop, without a
server, once with torch (as sentence-transformers runs the model: what a user of the plain
stack pays) and once with the ONNX export (the limit with the faster encoder). Every figure
is printed as a ratio to both.

`--encoders torch onnx` starts one server per encoder and alternates them round by round,
so a before/after of the encoder is measured in one run; by default one server runs the
default encoder (`auto`). The export is made once per run into a temporary cache that the
floors and the servers share.

The benchmark server's per-connection event rate limit is raised (one customer sends at
most one event per reply, but bursts at N=200 must not be refused), and every customer has
its own token, so the connections-per-token cap never applies. Rooms escalate after 10
customer messages (the default rules), so M is at most 10; replies that escalate are counted
and shown.

    python scripts/bench_chat.py --questions-per-room 5 [--encoders torch onnx] [--plot latency.png]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import (
    REPO_HYPERCORN_CONFIG,
    machine_description,
    percentile,
    server_encoder,
    server_process,
)
from floors import Floor, measure_floors

from supportflow.knowledge.documents import Document
from supportflow.knowledge.encoder_choice import ENCODER_CHOICES
from supportflow.knowledge.sources import demo_documents, documents_from_bytes

# Questions the demo knowledge base answers without escalating (checked with /api/ask).
DEMO_QUESTIONS = (
    "How do I set up voicemail?",
    "How do I reset my voicemail PIN?",
    "How do I set up an eSIM?",
    "How do I turn on wifi calling?",
    "How do I set up call blocking?",
    "How do I unlock my phone?",
    "How does the trade-in program work?",
    "How do I set up my router?",
    "What are the APN settings?",
    "How do I use my phone as a mobile hotspot?",
    "How do I buy a travel pass?",
    "How do I activate my new SIM card?",
    "How do I set up parental controls?",
    "How do I reset my account password?",
    "How do I set up autopay?",
    "How do I upgrade my phone?",
    "Why is my data slowed down after I use a lot?",
    "How do I add more data to my plan?",
    "How do I change my plan?",
    "Does my plan include 5G coverage?",
)
COUNTS = (1, 10, 50, 200)
SERVER_ENV = {
    "SUPPORTFLOW_DEMO_KB": "1",
    # One event per reply per customer at most, but never refused in a burst.
    "SUPPORTFLOW_SOCKET_RATE_PER_SECOND": "1000",
    "SUPPORTFLOW_SOCKET_RATE_BURST": "1000",
    "SUPPORTFLOW_MAX_LIVE_ROOMS": "5000",
}


@dataclass
class Round:
    rooms: int
    latencies: list[float] = field(default_factory=list)
    escalated: int = 0
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds this benchmark process spent driving the sockets

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


class Customer:
    """One customer socket in its own room; `ask` sends and waits for the bot's reply."""

    def __init__(self, url: str, session: dict[str, Any]) -> None:
        self.url = url
        self.session = session
        self.client = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.escalated = False
        self.client.on("new_message", self._on_message)
        self.client.on("room_state", self._on_state)

    async def _on_message(self, message: dict[str, Any]) -> None:
        if message.get("sender_type") == "bot":
            self.replies.put_nowait(message)

    async def _on_state(self, event: dict[str, Any]) -> None:
        if event.get("state") == "escalating":
            self.escalated = True

    async def open(self) -> None:
        await self.client.connect(
            self.url,
            auth={"token": self.session["token"]},
            transports=["websocket"],
            # The default 1 s is too short for 50 sockets at once on a loaded machine.
            wait_timeout=30,
        )
        ack = await self.client.call("join_room", {"room_id": self.session["room_id"]})
        if not ack.get("ok"):
            raise RuntimeError(f"join_room refused: {ack}")

    async def ask(self, question: str) -> float:
        started = time.perf_counter()
        ack = await self.client.call(
            "send_message", {"room_id": self.session["room_id"], "message": question}, timeout=120
        )
        if not ack.get("ok"):
            raise RuntimeError(f"send_message refused: {ack}")
        await asyncio.wait_for(self.replies.get(), 120)
        return time.perf_counter() - started


async def run_round(
    url: str, rooms: int, per_room: int, questions: list[str], min_replies: int = 0
) -> Round:
    """`rooms` rooms at once; repeated with fresh rooms until `min_replies` replies."""
    result = Round(rooms)
    while not result.latencies or len(result.latencies) < min_replies:
        await _one_round(url, rooms, per_room, questions, result)
    return result


async def _one_round(
    url: str, rooms: int, per_room: int, questions: list[str], result: Round
) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        sessions = [(await http.post("/api/sessions", json={})).json() for i in range(rooms)]
    customers = [Customer(url, session) for session in sessions]
    for start in range(0, rooms, 50):
        await asyncio.gather(*(c.open() for c in customers[start : start + 50]))

    async def converse(index: int, customer: Customer) -> None:
        for turn in range(per_room):
            if customer.escalated:
                return  # the bot is silent in a queued room: nothing more to time
            question = questions[(index * per_room + turn) % len(questions)]
            result.latencies.append(await customer.ask(question))
        result.escalated += customer.escalated

    started = time.perf_counter()
    cpu = _cpu_seconds()
    await asyncio.gather(*(converse(i, c) for i, c in enumerate(customers)))
    result.elapsed += time.perf_counter() - started
    result.client_cpu += _cpu_seconds() - cpu
    await asyncio.gather(*(c.client.disconnect() for c in customers))


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Target:
    """A server measured: its URL, admin token, and the encoder /api/health says it runs."""

    url: str
    admin_token: str | None
    encoder: str


async def ingest_kb(url: str, admin_token: str, documents: list[Document]) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=600) as http:
        for start in range(0, len(documents), 100):
            batch = [
                {"id": d.id, "title": d.title, "category": d.category, "content": d.content}
                for d in documents[start : start + 100]
            ]
            (await http.post("/api/ingest", json={"documents": batch})).raise_for_status()


async def measure(
    targets: list[Target],
    floors: list[Floor],
    documents: list[Document],
    questions: list[str],
    per_room: int,
    counts: tuple[int, ...],
    plot: Path | None,
    kb_given: bool,
) -> None:
    print(f"machine: {machine_description()}")
    for target in targets:
        if kb_given:
            if target.admin_token is None:
                raise SystemExit("--kb needs the server's admin token")
            await ingest_kb(target.url, target.admin_token, documents)
    print(f"questions per room: {per_room}; small N repeated with fresh rooms to >= 40 replies")
    for floor in floors:
        print(floor.describe())
    for target in targets:  # warm-up: lexical index, caches, first-call costs
        await run_round(target.url, 1, 3, questions)
    rounds: dict[str, list[Round]] = {target.encoder: [] for target in targets}
    for index, rooms in enumerate(counts):
        # Alternated: the server measured first at one N is measured second at the next.
        for target in targets if index % 2 == 0 else list(reversed(targets)):
            result = await run_round(target.url, rooms, per_room, questions, min_replies=40)
            rounds[target.encoder].append(result)
            print(_round_line(target.encoder, result, per_room, floors))
    for encoder, measured in rounds.items():
        _targets(encoder, {r.rooms: r for r in measured}, floors)
    if plot is not None:
        _plot(rounds, floors, plot)


def _round_line(encoder: str, result: Round, per_room: int, floors: list[Floor]) -> str:
    p50, p95, p99 = (percentile(result.latencies, q) for q in (0.5, 0.95, 0.99))
    rate_ratios = "/".join(f"{result.rate / f.rate:4.2f}" for f in floors)
    p50_ratios = "/".join(f"{p50 / f.median:4.2f}" for f in floors)
    return (
        f"[{encoder} server] N={result.rooms:4d} rooms x {per_room} questions: "
        f"{len(result.latencies):5d} replies in {result.elapsed:6.1f} s, {result.rate:6.1f} "
        f"replies/s ({rate_ratios}x {_floor_names(floors)} floor)  p50 {p50 * 1000:7.1f} ms "
        f"({p50_ratios}x)  p95 {p95 * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  "
        f"escalated rooms {result.escalated}  client CPU "
        f"{result.client_cpu / result.elapsed:.0%} of a core"
    )


def _floor_names(floors: list[Floor]) -> str:
    return "/".join(floor.encoder for floor in floors)


def _targets(encoder: str, by_rooms: dict[int, Round], floors: list[Floor]) -> None:
    for floor in floors:
        if 1 in by_rooms:
            ratio = percentile(by_rooms[1].latencies, 0.5) / floor.median
            print(
                f"[{encoder} server] 1 room p50 <= 1.5x {floor.encoder} floor: {ratio:.2f}x"
                f" -> {_verdict(ratio <= 1.5)}"
            )
        if 50 in by_rooms:
            ratio = by_rooms[50].rate / floor.rate
            print(
                f"[{encoder} server] 50 rooms replies/s >= 1x {floor.encoder} floor (goal 2x):"
                f" {ratio:.2f}x -> {_verdict(ratio >= 1)}"
            )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _plot(rounds: dict[str, list[Round]], floors: list[Floor], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    figure, axis = plt.subplots(figsize=(6, 4))
    for encoder, measured in rounds.items():
        xs = [r.rooms for r in measured]
        for q, label in ((0.5, "p50"), (0.95, "p95")):
            ys = [percentile(r.latencies, q) * 1000 for r in measured]
            axis.plot(xs, ys, marker="o", label=f"{encoder} server {label}")
    for floor in floors:
        axis.axhline(floor.median * 1000, linestyle="--", label=f"{floor.encoder} floor")
    axis.set(xscale="log", yscale="log", xlabel="concurrent rooms", ylabel="reply latency (ms)")
    axis.legend()
    figure.savefig(path, dpi=120, bbox_inches="tight")
    print(f"plot written to {path}")


def load_kb(path: Path) -> list[Document]:
    return documents_from_bytes(path.name, path.read_bytes())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions-per-room", type=int, default=5, choices=range(1, 11))
    parser.add_argument("--rooms", type=int, nargs="*", default=list(COUNTS))
    parser.add_argument("--kb", type=Path, help="a .jsonl knowledge base instead of the demo")
    parser.add_argument("--questions", type=Path, help="questions, one a line (with --kb)")
    parser.add_argument("--url", help="a running server (its KB must match --kb or the demo)")
    parser.add_argument("--admin-token", help="the running server's admin token (with --kb)")
    parser.add_argument(
        "--encoders",
        nargs="+",
        choices=ENCODER_CHOICES,
        default=["auto"],
        help="start one server per encoder (SUPPORTFLOW_ENCODER), rounds alternated",
    )
    parser.add_argument("--plot", type=Path, help="write a PNG (needs matplotlib)")
    parser.add_argument(
        "--hypercorn-config",
        type=Path,
        default=REPO_HYPERCORN_CONFIG,
        help="Hypercorn TOML for the server started (default: the repository's)",
    )
    args = parser.parse_args()
    documents = load_kb(args.kb) if args.kb else demo_documents()
    questions = list(DEMO_QUESTIONS)
    if args.questions:
        questions = [q.strip() for q in args.questions.read_text().splitlines() if q.strip()]
    elif args.kb:
        parser.error("--kb needs --questions (questions its documents answer)")
    with tempfile.TemporaryDirectory(prefix="supportflow-bench-encoder-") as cache:
        # The floors export the model once; the servers started below reuse that export.
        floors = asyncio.run(measure_floors(documents, questions, 100, Path(cache)))
        with contextlib.ExitStack() as servers:
            if args.url:
                targets = [_target(args.url, args.admin_token)]
            else:
                env = dict(SERVER_ENV, SUPPORTFLOW_ENCODER_CACHE_DIR=cache)
                if args.kb:
                    env["SUPPORTFLOW_DEMO_KB"] = "0"
                targets = []
                for encoder in dict.fromkeys(args.encoders):
                    server = servers.enter_context(
                        server_process(
                            env | {"SUPPORTFLOW_ENCODER": encoder}, args.hypercorn_config
                        )
                    )
                    targets.append(_target(server.url, server.admin_token))
            asyncio.run(
                measure(
                    targets,
                    floors,
                    documents,
                    questions,
                    args.questions_per_room,
                    tuple(args.rooms),
                    args.plot,
                    args.kb is not None,
                )
            )
    return 0


def _target(url: str, admin_token: str | None) -> Target:
    return Target(url, admin_token, server_encoder(url, admin_token))


if __name__ == "__main__":
    sys.exit(main())
