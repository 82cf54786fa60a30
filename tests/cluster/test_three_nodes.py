"""Three node PROCESSES on one Redis, one database and one Chroma server, end to end: the
database a SQLite file the three share, then a PostgreSQL database.

A customer on node A, agents on B and C: the alert reaches both, two simultaneous claims
have one winner, messages cross nodes in order with gap-free seq; then A (the room's node)
is killed with SIGKILL, the customer reconnects to B, `sync` returns every acknowledged
message and the room goes on in its state on its new node.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.services import RedisNamespace, postgres_database
from tests.support import ADMIN_TOKEN, free_port, wait_for_health

pytestmark = pytest.mark.slow

LEASE_SECONDS = 2.0


@dataclass
class NodeProcess:
    node_id: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_node(name: str, base: Path, env: dict[str, str]) -> NodeProcess:
    port = free_port()
    data_dir = base / name
    data_dir.mkdir(parents=True, exist_ok=True)
    log = base / f"{name}.log"
    node_env = {**env, "SUPPORTFLOW_DATA_DIR": str(data_dir), "SUPPORTFLOW_NODE_ID": name}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "supportflow", "serve", "--port", str(port)],
            cwd=base,
            env=node_env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return NodeProcess(name, f"http://127.0.0.1:{port}", process, log)


@pytest.fixture(name="database_url", params=["sqlite", "postgresql"])
def fixture_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    with postgres_database() as url:
        yield url


@pytest.fixture(name="cluster")
def fixture_cluster(
    tmp_path: Path, redis_namespace: RedisNamespace, chroma_server: str, database_url: str
) -> Iterator[tuple[list[NodeProcess], str]]:
    prefix = redis_namespace.prefix.rstrip(":")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SUPPORTFLOW_ADMIN_TOKEN": ADMIN_TOKEN,
        "SUPPORTFLOW_DEMO_KB": "0",
        "SUPPORTFLOW_REDIS_URL": redis_namespace.url,
        "SUPPORTFLOW_REDIS_PREFIX": prefix,
        "SUPPORTFLOW_CHROMA_URL": chroma_server,
        "SUPPORTFLOW_ROOM_LEASE_SECONDS": str(LEASE_SECONDS),
        "SUPPORTFLOW_AGENT_GRACE_SECONDS": "60",
        "SUPPORTFLOW_LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
    }
    nodes: list[NodeProcess] = []
    try:
        # A first (it creates the schema), then B and C together.
        nodes.append(start_node("node-a", tmp_path, env))
        wait_for_health(nodes[0].url, nodes[0].process, log=nodes[0].log)
        nodes += [start_node(name, tmp_path, env) for name in ("node-b", "node-c")]
        for node in nodes[1:]:
            wait_for_health(node.url, node.process, log=node.log)
        yield nodes, prefix
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.process.send_signal(signal.SIGTERM)
        for node in nodes:
            try:
                node.process.wait(60)
            except subprocess.TimeoutExpired:
                node.process.kill()
                node.process.wait()  # reaped: an unreaped one warns (an error) in a later test


def room_holder(redis_url: str, prefix: str, room: str) -> str | None:
    client = redis.Redis.from_url(redis_url)
    try:
        value = client.get(f"{prefix}:lease:room:{room}")
    finally:
        client.close()
    return None if value is None else value.decode().rsplit(" ", 1)[0]


async def test_three_nodes_one_room(
    cluster: tuple[list[NodeProcess], str], redis_namespace: RedisNamespace
) -> None:
    (a, b, c), prefix = cluster
    customer, session = await new_customer(a.url, "cust-3n")
    room = session["room_id"]
    async with (
        httpx.AsyncClient(
            base_url=b.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as on_b,
        httpx.AsyncClient(
            base_url=c.url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as on_c,
    ):
        bea, _ = await new_agent(on_b, "bea")
        cal, _ = await new_agent(on_c, "cal")
    clients: list[ChatClient] = [customer, bea, cal]
    try:
        # The customer on A asks for a person: both agents (on B and C) are alerted.
        await customer.ok("escalate", {"room_id": room})
        for agent in (bea, cal):
            await agent.wait_for("escalation_alert", lambda e: e["room_id"] == room)
        assert room_holder(redis_namespace.url, prefix, room) == "node-a"

        # Two claims at once, from two nodes: one winner, the other told why.
        acks = await asyncio.gather(*(x.call("claim_room", {"room_id": room}) for x in (bea, cal)))
        assert sorted(ack["ok"] for ack in acks) == [False, True]
        loser_ack = next(ack for ack in acks if not ack["ok"])
        assert loser_ack["error"]["code"] == "already_claimed"
        winner = bea if acks[0]["ok"] else cal
        await customer.wait_for("agent_joined", lambda e: e["room_id"] == room)

        # Messages cross nodes in order, each acknowledged with the next seq.
        acked: list[int] = []
        for i in range(3):
            ack = await winner.ok("send_message", {"room_id": room, "message": f"agent {i}"})
            acked.append(ack["seq"])
            await customer.wait_for("new_message", lambda m, i=i: m["message"] == f"agent {i}")
            ack = await customer.ok("send_message", {"room_id": room, "message": f"customer {i}"})
            acked.append(ack["seq"])
            await winner.wait_for("new_message", lambda m, i=i: m["message"] == f"customer {i}")
        assert acked == sorted(acked) and len(set(acked)) == len(acked)
        heard = [m["seq"] for m in customer.received("new_message", lambda m: m["room_id"] == room)]
        assert heard == sorted(heard)

        # The room's node dies without a word.
        a.process.send_signal(signal.SIGKILL)
        a.process.wait(30)
        await customer.close()

        # The customer reconnects to B: everything acknowledged is there, gap-free.
        back = await ChatClient(b.url, session["token"]).connect()
        clients.append(back)
        joined = await back.ok("join_room", {"room_id": room})
        assert joined["state"] == "agent_assigned"
        synced = await back.ok("sync", {"room_id": room, "after_seq": 0})
        seqs = [m["seq"] for m in synced["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))
        assert set(acked) <= set(seqs)

        # The room goes on: once A's lease lapses a live node takes it, in its state.
        ack = await back.ok("send_message", {"room_id": room, "message": "are you there?"}, 60)
        assert ack["seq"] == seqs[-1] + 1
        await winner.wait_for("new_message", lambda m: m["message"] == "are you there?")
        ack = await winner.ok("send_message", {"room_id": room, "message": "yes, still here"})
        assert ack["seq"] == seqs[-1] + 2
        await back.wait_for("new_message", lambda m: m["message"] == "yes, still here")
        assert room_holder(redis_namespace.url, prefix, room) in {"node-b", "node-c"}
    finally:
        for client in clients:
            await client.close()
