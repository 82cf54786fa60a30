"""Socket.IO connections: a valid token gets in, anything else is refused."""

from __future__ import annotations

import httpx
import pytest
import socketio

from tests.support import ADMIN_TOKEN, LiveServer


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"token": ""}, {"token": "sfu_not-a-real-token"}, {"token": 42}, "token"],
)
async def test_connect_without_a_valid_token_is_refused(server: LiveServer, auth: object) -> None:
    client = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert not client.connected


async def test_a_refused_connection_says_why(server: LiveServer) -> None:
    client = socketio.AsyncClient(reconnection=False)
    refusals: list[object] = []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, auth={"token": "nope"}, transports=["websocket"])
    assert refusals == [
        {
            "message": "the token is not valid",
            "data": {"code": "unauthorized", "message": "the token is not valid"},
        }
    ]


async def test_user_agent_and_admin_tokens_connect(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    session = (await admin.post("/api/sessions", json={"user_id": "u1"})).json()
    agent = (await admin.post("/api/agents", json={"name": "Ann"})).json()
    for token in (session["token"], agent["token"], ADMIN_TOKEN):
        client = socketio.AsyncClient(reconnection=False)
        await client.connect(server.url, auth={"token": token}, transports=["websocket"])
        assert client.connected
        await client.disconnect()
