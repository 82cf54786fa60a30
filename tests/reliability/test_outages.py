"""PostgreSQL or Redis going away under a live server, and coming back.

The server reaches the real service through a loopback proxy that the test cuts (open
connections reset, new ones refused) and restores. While it is cut a customer's message is
refused with a clear code (never acknowledged) and `/api/health` is 503; once it is back
the same room goes on, and `sync` returns every acknowledged message, gap-free.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes import FAKE_BOT
from tests.realtime.clients import ChatClient, new_customer
from tests.reliability.tcp_proxy import TcpProxy, proxied
from tests.services import RedisNamespace, postgres_database
from tests.support import LiveServer, admin_headers, serving

pytestmark = pytest.mark.slow

POSTGRES_PORT = 5432
REDIS_PORT = 6379


@pytest.fixture(name="proxy")
def fixture_proxy() -> Iterator[TcpProxy]:
    with proxied(POSTGRES_PORT) as proxy:
        yield proxy


@pytest.fixture(name="redis_proxy")
def fixture_redis_proxy() -> Iterator[TcpProxy]:
    with proxied(REDIS_PORT) as proxy:
        yield proxy


@pytest.fixture(name="pg_server")
def fixture_pg_server(
    tmp_path_factory: pytest.TempPathFactory, proxy: TcpProxy
) -> Iterator[LiveServer]:
    with postgres_database() as url:
        through_proxy = url.replace(f":{POSTGRES_PORT}/", f":{proxy.port}/")
        with serving(
            tmp_path_factory.mktemp("pg") / "data", FAKE_BOT, database_url=through_proxy
        ) as server:
            yield server


@pytest.fixture(name="redis_server")
def fixture_redis_server(
    tmp_path_factory: pytest.TempPathFactory,
    redis_namespace: RedisNamespace,
    redis_proxy: TcpProxy,
) -> Iterator[LiveServer]:
    through_proxy = redis_namespace.url.replace(f":{REDIS_PORT}", f":{redis_proxy.port}")
    overrides = {
        "redis_url": through_proxy,
        "redis_prefix": redis_namespace.prefix.rstrip(":"),
        "node_id": "outage-node",
        "room_lease_seconds": 2.0,
    }
    with serving(tmp_path_factory.mktemp("redis") / "data", FAKE_BOT, **overrides) as server:
        yield server


async def health(server: LiveServer) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, headers=admin_headers()) as http:
        return await http.get("/api/health")


async def test_a_database_outage_refuses_clearly_and_loses_nothing(
    pg_server: LiveServer, proxy: TcpProxy
) -> None:
    components = (await health(pg_server)).json()["components"]
    assert components["database"]["engine"] == "postgresql"
    await outage_and_recovery(pg_server, proxy, "database", "database_unavailable")


async def test_a_redis_outage_refuses_clearly_and_loses_nothing(
    redis_server: LiveServer, redis_proxy: TcpProxy
) -> None:
    await outage_and_recovery(redis_server, redis_proxy, "cluster", "cluster_unavailable")


async def outage_and_recovery(
    server: LiveServer, proxy: TcpProxy, component: str, code: str
) -> None:
    customer, session = await new_customer(server.url, f"outage-{component}")
    room = session["room_id"]
    try:
        first = await customer.ok("send_message", {"room_id": room, "message": "hello"})

        proxy.cut()
        # A node still holding the room's lease may go on writing it until the lease runs
        # out (fenced, the database decides); every acknowledged message must survive.
        acked = {first["seq"]: "hello"}
        for attempt in range(60):
            text = f"during {attempt}"
            refused = await customer.call("send_message", {"room_id": room, "message": text})
            if not refused["ok"]:
                break
            acked[refused["seq"]] = text
            await asyncio.sleep(0.25)
        assert refused["ok"] is False, refused
        assert refused["error"]["code"] == code
        down = await health(server)
        assert down.status_code == 503
        assert down.json()["components"][component]["status"] == "error"

        proxy.restore()
        again = await send_when_back(customer, room, "back?")
        assert (await health(server)).status_code == 200
        synced = await customer.ok("sync", {"room_id": room, "after_seq": 0})
        seqs = [m["seq"] for m in synced["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free: the refused one took no seq
        bodies = {m["seq"]: m["message"] for m in synced["messages"]}
        assert acked.items() <= bodies.items()
        assert bodies[again["seq"]] == "back?"
        assert text not in bodies.values()  # the refused one
    finally:
        await customer.close()


async def send_when_back(customer: ChatClient, room: str, text: str) -> dict[str, Any]:
    """Send until accepted: a client retries a refused message, as the refusal says to."""
    for _ in range(50):
        ack = await customer.call("send_message", {"room_id": room, "message": text})
        if ack["ok"]:
            return ack
        await asyncio.sleep(0.2)
    raise AssertionError(f"still refused after the service came back: {ack}")
