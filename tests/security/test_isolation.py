"""Who may open what, over Socket.IO and REST, on one live server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
import socketio

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.support import LiveServer, bearer

ROOM_EVENTS = ["join_room", "sync", "send_message", "close_room", "escalate", "typing"]


def _payload(room_id: str) -> dict[str, object]:
    # Every field any room event needs, so only the room check can refuse it.
    return {"room_id": room_id, "message": "hello", "is_typing": True}


async def test_a_customer_token_opens_only_its_own_room(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    mine, my_session = await new_customer(server.url, "alice")
    _, their_session = await new_customer(server.url, "bob")
    theirs = their_session["room_id"]
    try:
        for event in ROOM_EVENTS:
            ack = await mine.call(event, _payload(theirs))
            assert ack["ok"] is False and ack["error"]["code"] == "not_your_room", (event, ack)
        # Nothing happened to the other room.
        transcript = await admin.get(f"/api/sessions/{their_session['session_id']}/messages")
        assert transcript.json()["messages"] == []

        token = bearer(my_session["token"])
        other = their_session["session_id"]
        for path in (f"/api/sessions/{other}", f"/api/sessions/{other}/messages"):
            assert (await admin.get(path, headers=token)).status_code == 403, path
        escalated = await admin.post("/api/escalate", json={"session_id": other}, headers=token)
        assert escalated.status_code == 403
        own = await admin.get(f"/api/sessions/{my_session['session_id']}", headers=token)
        assert own.status_code == 200
    finally:
        await mine.close()


async def test_an_agent_reads_only_rooms_it_holds_or_that_are_queued(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    agent, info = await new_agent(admin, "ann")
    rival, _ = await new_agent(admin, "rex")
    quiet_client, quiet = await new_customer(server.url, "quiet")  # bot_active
    queued_client, queued = await new_customer(server.url, "queued")
    held_client, held = await new_customer(server.url, "held")
    try:
        await queued_client.ok("escalate", {"room_id": queued["room_id"]})
        await held_client.ok("escalate", {"room_id": held["room_id"]})
        await rival.ok("claim_room", {"room_id": held["room_id"]})
        token = bearer(info["token"])

        for event in ("join_room", "sync"):
            for session in (quiet, held):
                ack = await agent.call(event, {"room_id": session["room_id"]})
                assert ack["error"]["code"] == "not_your_room", (event, session["user_id"])
            assert (await agent.call(event, {"room_id": queued["room_id"]}))["ok"] is True
        talk = await agent.call("send_message", {"room_id": held["room_id"], "message": "hi"})
        assert talk["error"]["code"] == "not_assigned_agent"
        for session in (quiet, held):
            path = f"/api/sessions/{session['session_id']}/messages"
            assert (await admin.get(path, headers=token)).status_code == 403
        path = f"/api/sessions/{queued['session_id']}/messages"
        assert (await admin.get(path, headers=token)).status_code == 200
    finally:
        for client in (agent, rival, quiet_client, queued_client, held_client):
            await client.close()


ADMIN_ONLY = [
    ("POST", "/api/users", {"user_id": "mallory"}),
    ("POST", "/api/agents", {"name": "Mallory"}),
    ("POST", "/api/agents/ann/token", None),
    ("PUT", "/api/agents/ann/availability", {"is_available": False}),
    ("POST", "/api/ingest", {"documents": [{"title": "t", "content": "c", "category": "x"}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ONLY)
async def test_admin_endpoints_need_the_admin_token(
    admin: httpx.AsyncClient, method: str, path: str, body: object
) -> None:
    ann = await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})
    rex = (await admin.post("/api/agents", json={"agent_id": "rex", "name": "Rex"})).json()
    customer = (await admin.post("/api/sessions", json={"user_id": "carol"})).json()
    assert ann.status_code == 201
    if (await admin.request("OPTIONS", path)).status_code == 404:
        pytest.skip(f"{path} is not served by this build")
    for headers, status in (
        ({"Authorization": ""}, 401),
        (bearer("sfa_forged"), 401),
        (bearer(customer["token"]), 403),
        (bearer(rex["token"]), 403),  # another agent: not the admin, not ann herself
    ):
        response = await admin.request(method, path, json=body, headers=headers)
        assert response.status_code == status, (method, path, headers, response.text)


async def test_a_customer_token_dies_with_its_room(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    customer, session = await new_customer(server.url, "leaving")
    await customer.ok("close_room", {"room_id": session["room_id"]})
    await customer.close()
    token = bearer(session["token"])
    refused = await admin.get(f"/api/sessions/{session['session_id']}", headers=token)
    assert refused.status_code == 401
    with pytest.raises(socketio.exceptions.ConnectionError):
        await ChatClient(server.url, session["token"]).connect()


async def test_customer_tokens_expire(start_server: Callable[..., LiveServer]) -> None:
    server = start_server(user_token_ttl_seconds=1.0)
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = (await http.post("/api/sessions", json={})).json()
        token = bearer(session["token"])
        path = f"/api/sessions/{session['session_id']}"
        assert (await http.get(path, headers=token)).status_code == 200
        live = await ChatClient(server.url, session["token"]).connect()
        await live.close()
        await asyncio.sleep(1.5)
        assert (await http.get(path, headers=token)).status_code == 401
        with pytest.raises(socketio.exceptions.ConnectionError):
            await ChatClient(server.url, session["token"]).connect()


async def test_rotating_an_agent_token_refuses_the_old_one_on_sockets_too(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    connected, info = await new_agent(admin, "ann")
    rotated = (await admin.post("/api/agents/ann/token")).json()
    try:
        # The socket opened with the old token is dropped, and the old token cannot reopen one.
        for _ in range(50):
            if not connected.sio.connected:
                break
            await asyncio.sleep(0.1)
        assert not connected.sio.connected
        with pytest.raises(socketio.exceptions.ConnectionError):
            await ChatClient(server.url, info["token"]).connect()
        fresh = await ChatClient(server.url, rotated["token"]).connect()
        await fresh.close()
    finally:
        await connected.close()
