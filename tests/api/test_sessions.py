"""Sessions over real HTTP: creation, who may read them."""

from __future__ import annotations

import httpx

from tests.support import bearer


async def test_create_session_creates_unknown_user(admin: httpx.AsyncClient) -> None:
    response = await admin.post("/api/sessions", json={"user_id": "dave"})
    assert response.status_code == 201
    body = response.json()
    assert body["user_id"] == "dave"
    assert body["status"] == "bot_active"
    assert body["room_id"] and body["session_id"] and body["room_id"] != body["session_id"]
    assert body["token"].startswith("sfu_")

    # The user now exists, so registering it again conflicts.
    assert (await admin.post("/api/users", json={"user_id": "dave"})).status_code == 409


async def test_session_for_existing_user(admin: httpx.AsyncClient) -> None:
    await admin.post("/api/users", json={"user_id": "erin"})
    first = (await admin.post("/api/sessions", json={"user_id": "erin"})).json()
    second = (await admin.post("/api/sessions", json={"user_id": "erin"})).json()
    assert first["session_id"] != second["session_id"]
    assert first["token"] != second["token"]


async def test_who_may_read_a_session(admin: httpx.AsyncClient) -> None:
    mine = (await admin.post("/api/sessions", json={"user_id": "frank"})).json()
    theirs = (await admin.post("/api/sessions", json={"user_id": "gina"})).json()
    agent = (await admin.post("/api/agents", json={"name": "Ann"})).json()
    path = f"/api/sessions/{mine['session_id']}"

    by_admin = await admin.get(path)
    assert by_admin.status_code == 200
    assert by_admin.json()["session_id"] == mine["session_id"]
    assert "token" not in by_admin.json()

    assert (await admin.get(path, headers=bearer(mine["token"]))).status_code == 200
    assert (await admin.get(path, headers=bearer(theirs["token"]))).status_code == 403
    # An agent that does not hold the room, and the room is not queued: refused.
    assert (await admin.get(path, headers=bearer(agent["token"]))).status_code == 403
    assert (await admin.get(path, headers={"Authorization": ""})).status_code == 401

    missing = await admin.get("/api/sessions/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "session_not_found"


async def test_bad_session_bodies(admin: httpx.AsyncClient) -> None:
    for body in ({"user_id": ""}, {"user_id": 7}, {"user_id": "x" * 65}):
        response = await admin.post("/api/sessions", json=body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_input"
