"""An open socket lives no longer than its right to: its token is checked on every event
(issue 13, items 7 and 10), and a transport that never authenticates is closed (item 4)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import engineio
import httpx

from tests.realtime.clients import ChatClient, customer_session, dropped, new_agent
from tests.support import LiveServer, bearer


async def test_an_expired_customer_token_is_refused_on_its_open_socket(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(user_token_ttl_seconds=2)
    async with customer_session(server.url, "brief") as (customer, session):
        await asyncio.sleep(2.3)
        ack = await customer.call("sync", {"room_id": session["room_id"], "after_seq": 0})
        assert ack["ok"] is False and ack["error"]["code"] == "token_expired"
        await dropped(customer, "token_expired")


async def test_a_closed_rooms_customer_socket_is_refused_and_dropped(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    async with customer_session(server.url, "leaver") as (customer, session):
        room = session["room_id"]
        await customer.ok("close_room", {"room_id": room})
        ack = await customer.call("sync", {"room_id": room, "after_seq": 0})
        assert ack["ok"] is False and ack["error"]["code"] == "room_closed", ack
        await dropped(customer, "room_closed")
        # The admin still reads the transcript, but nobody types into a closed room.
        watcher = await ChatClient(server.url, admin.headers["Authorization"][7:]).connect()
        try:
            await watcher.ok("join_room", {"room_id": room})
            typing = await watcher.call("typing", {"room_id": room, "is_typing": True})
            assert typing["error"]["code"] == "room_closed"
        finally:
            await watcher.close()


async def test_a_disabled_agent_is_dropped_refused_and_can_be_enabled(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    agent, info = await new_agent(admin, "gone")
    try:
        disabled = await admin.post("/api/agents/gone/disable")
        assert disabled.status_code == 200 and disabled.json()["disabled"] is True
        assert disabled.json()["is_available"] is False
        await dropped(agent, "agent_disabled")
        me = await admin.get("/api/agents/me", headers=bearer(info["token"]))
        assert me.status_code == 401 and me.json()["error"]["code"] == "agent_disabled"
        again = ChatClient(server.url, info["token"])
        try:
            await again.connect()
            raise AssertionError("a disabled agent's token connected")
        except Exception as error:  # socketio.exceptions.ConnectionError
            assert "namespaces failed" in str(error) or "agent" in str(error)
        available = (await admin.get("/api/agents/available")).json()["agents"]
        assert "gone" not in [a["agent_id"] for a in available]
        forbidden = await admin.post("/api/agents/gone/disable", headers=bearer(info["token"]))
        assert forbidden.status_code == 401

        enabled = await admin.post("/api/agents/gone/enable")
        assert enabled.status_code == 200 and enabled.json()["disabled"] is False
        me = await admin.get("/api/agents/me", headers=bearer(info["token"]))
        assert me.status_code == 200
    finally:
        await agent.close()


async def test_a_transport_that_never_authenticates_is_closed(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(socket_auth_timeout_seconds=0.5)
    silent = engineio.AsyncClient()
    closed = asyncio.Event()
    silent.on("disconnect", closed.set)
    await silent.connect(server.url, transports=["websocket"], engineio_path="socket.io")
    try:
        await asyncio.wait_for(closed.wait(), 5)
    finally:
        await silent.disconnect()
    # An authenticated socket outlives the deadline.
    async with customer_session(server.url, "prompt") as (customer, session):
        await asyncio.sleep(1.0)
        await customer.ok("sync", {"room_id": session["room_id"], "after_seq": 0})
