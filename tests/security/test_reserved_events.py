"""Issue 20, items 1 and 5: a client cannot run the server's own connect and disconnect
handlers by naming them in an event, and an event without a string name gets an ack.

Raw packets (`tests/security/raw_socket.py`): the client library refuses to send them.
"""

from __future__ import annotations

import json

import httpx
import pytest

from supportflow.realtime.server import RESERVED_EVENTS
from tests.security.raw_socket import RawSocket
from tests.support import ADMIN_TOKEN, LiveServer, admin_headers, shared_server

server, admin = shared_server(
    "server", "admin", max_connections_per_token=2, login_failures_per_minute=5
)

# What the attacker sent as the "environ": another address, and a wrong token.
FORGED_CONNECT = json.dumps(
    [
        "connect",
        {"asgi.scope": {"client": ["127.0.0.30", 1]}, "REMOTE_ADDR": "127.0.0.30"},
        {"token": "sfu_wrong"},
    ]
)


async def _customer(server: LiveServer) -> tuple[RawSocket, dict[str, str]]:
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = (await http.post("/api/sessions", json={}, headers=admin_headers())).json()
    return await RawSocket().connect(server.url, session["token"]), session


async def test_forged_connects_lock_out_no_address(server: LiveServer) -> None:
    attacker, _ = await _customer(server)
    try:
        for _ in range(12):  # well past login_failures_per_minute
            ack = await attacker.call(FORGED_CONNECT)
            assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", ack
    finally:
        await attacker.close()
    # The address the forged environ named still signs in (REST from that very address).
    from_victim = httpx.AsyncHTTPTransport(local_address="127.0.0.30")
    async with httpx.AsyncClient(base_url=server.url, transport=from_victim) as http:
        response = await http.get("/api/agents", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 200, response.text


async def test_forged_disconnects_free_no_connection_slot(server: LiveServer) -> None:
    first, session = await _customer(server)
    second = await RawSocket().connect(server.url, session["token"])
    try:
        for _ in range(5):
            ack = await first.call('["disconnect", {}]')
            assert ack["error"]["code"] == "reserved_event", ack
        # The socket is still signed in: its events are answered as before.
        ack = await first.call(json.dumps(["sync", {"room_id": session["room_id"]}]))
        assert ack["ok"] is True, ack
        # Two are open, the limit is two: a forged disconnect did not free a slot.
        third = await RawSocket().connect(server.url, session["token"])
        await third.close()
        assert third.refusal is not None and third.refusal["data"]["code"] == "too_many_connections"
    finally:
        await first.close()
        await second.close()


@pytest.mark.parametrize("name", sorted(RESERVED_EVENTS))
async def test_every_reserved_name_is_refused_before_dispatch(
    server: LiveServer, name: str
) -> None:
    socket, session = await _customer(server)
    try:
        ack = await socket.call(json.dumps([name, {"room_id": session["room_id"]}]))
        assert ack == {
            "ok": False,
            "error": {
                "code": "reserved_event",
                "message": "that event name is the transport's own",
            },
        }
    finally:
        await socket.close()


@pytest.mark.parametrize("packet", ["[5, {}]", "[null]", '[["sync"], {}]', "[{}, {}]", "[]", "{}"])
async def test_an_event_without_a_string_name_gets_invalid_input(
    server: LiveServer, packet: str
) -> None:
    socket, session = await _customer(server)
    try:
        ack = await socket.call(packet)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_input", ack
        ack = await socket.call(json.dumps(["sync", {"room_id": session["room_id"]}]))
        assert ack["ok"] is True, ack  # and the connection lives on
    finally:
        await socket.close()
