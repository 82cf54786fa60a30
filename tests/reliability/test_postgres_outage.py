"""PostgreSQL going away under a live server, and coming back.

The server reaches the real PostgreSQL through a loopback proxy that the test cuts (open
connections reset, new ones refused) and restores. While it is cut a customer's message is
refused with `database_unavailable` (never acknowledged), `/api/health` is 503; once it is
back the same room goes on, and `sync` returns every acknowledged message, gap-free.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.realtime.clients import new_customer
from tests.reliability.tcp_proxy import TcpProxy, proxied
from tests.services import postgres_database
from tests.support import LiveServer, admin_headers, serving

pytestmark = pytest.mark.slow

POSTGRES_PORT = 5432


@pytest.fixture(name="proxy")
def fixture_proxy() -> Iterator[TcpProxy]:
    with proxied(POSTGRES_PORT) as proxy:
        yield proxy


@pytest.fixture(name="pg_server")
def fixture_pg_server(
    tmp_path_factory: pytest.TempPathFactory, proxy: TcpProxy
) -> Iterator[LiveServer]:
    with postgres_database() as url:
        through_proxy = url.replace(f":{POSTGRES_PORT}/", f":{proxy.port}/")
        with serving(tmp_path_factory.mktemp("pg") / "data", database_url=through_proxy) as server:
            yield server


async def health(server: LiveServer) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, headers=admin_headers()) as http:
        return await http.get("/api/health")


async def test_a_database_outage_refuses_clearly_and_loses_nothing(
    pg_server: LiveServer, proxy: TcpProxy
) -> None:
    customer, session = await new_customer(pg_server.url, "outage")
    room = session["room_id"]
    try:
        assert (await health(pg_server)).json()["components"]["database"]["engine"] == (
            "postgresql"
        )
        first = await customer.ok("send_message", {"room_id": room, "message": "hello"})

        proxy.cut()
        refused = await customer.call("send_message", {"room_id": room, "message": "lost?"})
        assert refused["ok"] is False, refused
        assert refused["error"]["code"] == "database_unavailable"
        down = await health(pg_server)
        assert down.status_code == 503
        assert down.json()["components"]["database"]["status"] == "error"

        proxy.restore()
        again = await customer.ok("send_message", {"room_id": room, "message": "back?"})
        assert (await health(pg_server)).status_code == 200
        synced = await customer.ok("sync", {"room_id": room, "after_seq": 0})
        seqs = [m["seq"] for m in synced["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))  # gap-free: the refused one took no seq
        bodies = {m["seq"]: m["message"] for m in synced["messages"]}
        assert bodies[first["seq"]] == "hello" and bodies[again["seq"]] == "back?"
        assert "lost?" not in bodies.values()
    finally:
        await customer.close()
