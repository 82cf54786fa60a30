"""Store micro-benchmark: a room's hot path (messages in, transcript out) on one engine.

Each of `--rooms` rooms, concurrently, appends `--messages` messages (customer and bot in
turn, with a client_msg_id as the socket path sends) and reads its last ten after each one;
then every room is escalated, claimed and closed. Prints operations per second, the median
of `--repeat` runs. SQLite runs with synchronous=OFF so the figure is the query layer's
cost, not the disk's fsync; PostgreSQL (`--postgres URL`, a database of its own: it is
written to) runs as configured.

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


async def _run(target: Path | str, rooms: int, messages: int) -> tuple[float, float]:
    store = await Store.open(target, synchronous="OFF")
    try:
        started = time.perf_counter()
        done = sum(await asyncio.gather(*(_room(store, messages) for _ in range(rooms))))
        chat = done / (time.perf_counter() - started)
        agent = f"agent-{uuid.uuid4().hex}"
        await store.create_agent(agent, "Bench", uuid.uuid4().hex, rooms + 1, True)
        waiting = await store.rooms_in_state(RoomState.BOT_ACTIVE)
        started = time.perf_counter()
        done = sum(
            await asyncio.gather(*(_lifecycle(store, room.room_id, agent) for room in waiting))
        )
        lifecycle = done / (time.perf_counter() - started)
        return chat, lifecycle
    finally:
        await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=50)
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    chats, lifecycles = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="supportflow-bench-store-") as directory:
            target: Path | str = args.postgres or Path(directory) / "bench.db"
            chat, lifecycle = await _run(target, args.rooms, args.messages)
        chats.append(chat)
        lifecycles.append(lifecycle)
    engine = "postgresql" if args.postgres else "sqlite"
    print(
        f"{engine}: {args.rooms} rooms x {args.messages} messages, median of {args.repeat}:"
        f" chat {statistics.median(chats):,.0f} ops/s (append + read),"
        f" lifecycle {statistics.median(lifecycles):,.0f} ops/s (escalate, claim, close)"
    )


if __name__ == "__main__":
    asyncio.run(main())
