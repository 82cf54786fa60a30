"""Abuse limits on a live server: event rate, connections per token, sizes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
import socketio

from tests.realtime.clients import ChatClient, customer_session, new_customer
from tests.support import ADMIN_TOKEN, LiveServer


async def test_a_flood_of_events_is_rate_limited_and_the_connection_recovers(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(socket_rate_per_second=5.0, socket_rate_burst=5)
    customer, session = await new_customer(server.url, "flooder")  # join_room took a token
    room = session["room_id"]
    try:
        acks = await asyncio.gather(
            *(customer.call("sync", {"room_id": room}) for _ in range(30)),
            customer.call("no_such_event", {}),
        )
        refused = [ack for ack in acks if not ack["ok"]]
        assert 1 <= sum(1 for ack in acks if ack["ok"]) <= 5
        assert {ack["error"]["code"] for ack in refused} == {"rate_limited"}
        assert all("second" in ack["error"]["message"] for ack in refused)
        await asyncio.sleep(1.2)  # the bucket refills at 5 a second
        assert (await customer.call("sync", {"room_id": room}))["ok"] is True
        # The limit is per connection: another socket of the same customer is unaffected.
        other = await ChatClient(server.url, session["token"]).connect()
        try:
            assert (await other.call("sync", {"room_id": room}))["ok"] is True
        finally:
            await other.close()
    finally:
        await customer.close()


async def test_one_token_may_hold_only_so_many_connections(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(max_connections_per_token=3)
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = (await http.post("/api/sessions", json={})).json()
    clients = [await ChatClient(server.url, session["token"]).connect() for _ in range(3)]
    try:
        refused = socketio.AsyncClient(reconnection=False)
        errors: list[object] = []
        refused.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(
                server.url, auth={"token": session["token"]}, transports=["websocket"]
            )
        assert errors == [
            {
                "message": "this token already has 3 open connections",
                "data": {
                    "code": "too_many_connections",
                    "message": "this token already has 3 open connections",
                },
            }
        ]
        # Other tokens are not affected, and a closed connection frees its place.
        admin = await ChatClient(server.url, ADMIN_TOKEN).connect()
        await admin.close()
        await clients.pop().close()
        await asyncio.sleep(0.3)  # the server notices the disconnect
        clients.append(await ChatClient(server.url, session["token"]).connect())
    finally:
        for client in clients:
            await client.close()


async def test_a_packet_past_the_socket_limit_drops_only_that_connection(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(max_socket_packet_bytes=64 * 1024)
    async with customer_session(server.url, "bulky") as (customer, session):
        under = await customer.call(
            "send_message", {"room_id": session["room_id"], "message": "x" * 50_000}
        )
        assert under["error"]["code"] == "message_too_long"  # acked: the connection lives
        with pytest.raises(socketio.exceptions.TimeoutError):
            await customer.call(
                "send_message", {"room_id": session["room_id"], "message": "x" * 100_000}, 5
            )
        for _ in range(50):
            if not customer.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not customer.sio.connected
        again = await ChatClient(server.url, session["token"]).connect()
        try:
            assert (await again.call("sync", {"room_id": session["room_id"]}))["ok"] is True
        finally:
            await again.close()
        async with httpx.AsyncClient(base_url=server.url) as http:
            assert (await http.get("/api/health")).status_code == 200


async def test_request_bodies_past_the_limit_are_413(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(max_body_bytes=10_000)
    async with httpx.AsyncClient(base_url=server.url) as http:
        body = {"user_id": "big", "padding": "x" * 20_000}
        response = await http.post("/api/sessions", json=body)
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"
    # A new connection: the server may close the refused one (its body unread), and whether
    # the close lands before a reused connection's next request is a race on a loaded box.
    async with httpx.AsyncClient(base_url=server.url) as http:
        assert (await http.post("/api/sessions", json={})).status_code == 201


async def test_message_length_is_limited_by_setting(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(message_max_chars=10)
    async with customer_session(server.url, "wordy") as (customer, session):
        room = session["room_id"]
        refused = await customer.call("send_message", {"room_id": room, "message": "x" * 11})
        assert refused["error"]["code"] == "message_too_long"
        assert (await customer.call("send_message", {"room_id": room, "message": "x" * 10}))["ok"]
