"""Store micro-benchmark: a room's hot path (messages in, transcript out) on one engine.

Each of `--rooms` rooms, concurrently, appends `--messages` messages (customer and bot in
turn, with a client_msg_id as the socket path sends) and reads its last ten after each one;
then every room is escalated, claimed and closed. Prints operations per second and the
process's CPU time per operation (all threads: aiosqlite's too), the median of `--repeat`
runs; on a shared machine the CPU figure is the steadier of the two. SQLite runs with
synchronous=OFF so the figure is the query layer's cost, not the disk's fsync; PostgreSQL
(`--postgres URL`, a database of its own: it is written to) runs as configured.

    .venv/bin/python scripts/bench_store.py --rooms 50 --messages 40
    .venv/bin/python scripts/bench_store.py --postgres postgresql://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from supportflow.store import RoomState, Store

_WAITING = (RoomState.BOT_ACTIVE,)


async def _room(store: Store, messages: int) -> int:
    session = await store.create_session(f"user-{uuid.uuid4().hex}", uuid.uuid4().hex)
    room = session.room_id
    for index in range(messages):
        sender = "user" if index % 2 == 0 else "bot"
        await store.append_message(room, sender, None, f"message {index}", uuid.uuid4().hex)
        await store.recent_messages(room, 10)
    return messages * 2


async def _lifecycle(store: Store, room_id: str, agent_id: str) -> int:
    await store.open_escalation(room_id, ("asked",), _WAITING)
    await store.claim_room(room_id, agent_id, (RoomState.ESCALATING,))
    await store.set_room_state(room_id, RoomState.CLOSED, (RoomState.AGENT_ASSIGNED,))
    return 3


class _Clock:
    """Wall and CPU time of one phase: (operations per second, CPU microseconds each)."""

    def __enter__(self) -> _Clock:
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu

    def rates(self, operations: int) -> tuple[float, float]:
        return operations / self.wall, self.cpu / operations * 1e6


async def _run(target: Path | str, rooms: int, messages: int) -> list[tuple[float, float]]:
    store = await Store.open(target, synchronous="OFF")
    try:
        agent = f"agent-{uuid.uuid4().hex}"
        await store.create_agent(agent, "Bench", uuid.uuid4().hex, rooms + 1, True)
        # One room through every statement first, untimed: each engine's first run of a
        # statement compiles or prepares it once, a cost a server pays at start-up only.
        await _room(store, 2)
        warm = await store.rooms_in_state(RoomState.BOT_ACTIVE)
        await _lifecycle(store, warm[0].room_id, agent)
        with _Clock() as chat:
            done = sum(await asyncio.gather(*(_room(store, messages) for _ in range(rooms))))
        chat_rates = chat.rates(done)
        waiting = await store.rooms_in_state(RoomState.BOT_ACTIVE)
        with _Clock() as lifecycle:
            done = sum(
                await asyncio.gather(*(_lifecycle(store, room.room_id, agent) for room in waiting))
            )
        return [chat_rates, lifecycle.rates(done)]
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="supportflow-bench-store-") as directory:
            target: Path | str = args.postgres or Path(directory) / "bench.db"
            runs.append(await _run(target, args.rooms, args.messages))
    engine = "postgresql" if args.postgres else "sqlite"
    print(f"{engine}: {args.rooms} rooms x {args.messages} messages, median of {args.repeat}")
    for index, phase in enumerate(("chat (append + read)", "lifecycle (escalate, claim, close)")):
        rate = statistics.median(run[index][0] for run in runs)
        cpu = statistics.median(run[index][1] for run in runs)
        print(f"  {phase}: {rate:,.0f} ops/s, {cpu:,.0f} us CPU per op")


if __name__ == "__main__":
    asyncio.run(main())
