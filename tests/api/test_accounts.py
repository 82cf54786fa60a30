"""Users and agents over real HTTP: creation, tokens, availability, refusals."""

from __future__ import annotations

import httpx
import pytest

from tests.support import bearer


async def test_create_user_then_duplicate_is_409(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/api/users", json={"user_id": "alice", "name": "Alice"})
    assert created.status_code == 201
    assert created.json()["user_id"] == "alice"
    assert created.json()["name"] == "Alice"

    again = await admin.post("/api/users", json={"user_id": "alice"})
    assert again.status_code == 409
    assert again.json() == {
        "error": {"code": "user_exists", "message": "user 'alice' already exists"}
    }


async def test_admin_endpoints_refuse_missing_and_wrong_tokens(http: httpx.AsyncClient) -> None:
    missing = await http.post("/api/users", json={"user_id": "bob"})
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"

    wrong = await http.post("/api/users", json={"user_id": "bob"}, headers=bearer("nope"))
    assert wrong.status_code == 401

    session = (await http.post("/api/sessions", json={})).json()
    as_user = await http.post("/api/agents", json={"name": "X"}, headers=bearer(session["token"]))
    assert as_user.status_code == 403
    assert as_user.json()["error"]["code"] == "forbidden"


async def test_create_agent_returns_its_token_once(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/api/agents", json={"agent_id": "ann", "name": "Ann", "max_concurrent": 2}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["agent_id"] == "ann"
    assert body["max_concurrent"] == 2
    assert body["is_available"] is False
    assert body["token"].startswith("sfa_") and len(body["token"]) > 40

    duplicate = await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "agent_exists"

    # The token works as an agent token, and nothing else reveals it again.
    available = await admin.get("/api/agents/available", headers=bearer(body["token"]))
    assert available.status_code == 200
    assert "token" not in str(available.json())


async def test_agent_ids_are_generated_when_absent(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/api/agents", json={"name": "Nameless"})
    assert created.status_code == 201
    assert created.json()["agent_id"].startswith("agent-")


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "A", "max_concurrent": 0},
        {"name": "A", "max_concurrent": "three"},
        {"name": "A", "agent_id": "has space"},
        {"name": "A", "unexpected": 1},
        [],
    ],
)
async def test_bad_agent_bodies_are_400(admin: httpx.AsyncClient, body: object) -> None:
    response = await admin.post("/api/agents", json=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


async def test_availability_by_admin_and_by_the_agent_itself(admin: httpx.AsyncClient) -> None:
    ann = (await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})).json()
    bob = (await admin.post("/api/agents", json={"agent_id": "bob", "name": "Bob"})).json()

    by_self = await admin.put(
        "/api/agents/ann/availability", json={"is_available": True}, headers=bearer(ann["token"])
    )
    assert by_self.status_code == 200
    assert by_self.json()["is_available"] is True

    by_other = await admin.put(
        "/api/agents/ann/availability", json={"is_available": False}, headers=bearer(bob["token"])
    )
    assert by_other.status_code == 403

    by_admin = await admin.put("/api/agents/bob/availability", json={"is_available": True})
    assert by_admin.status_code == 200

    unknown = await admin.put("/api/agents/zed/availability", json={"is_available": True})
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "agent_not_found"

    not_bool = await admin.put("/api/agents/bob/availability", json={"is_available": "maybe"})
    assert not_bool.status_code == 400

    available = (await admin.get("/api/agents/available")).json()["agents"]
    assert sorted(agent["agent_id"] for agent in available) == ["ann", "bob"]
    assert all(agent["active_rooms"] == 0 for agent in available)


async def test_available_agents_needs_admin_or_agent(http: httpx.AsyncClient) -> None:
    session = (await http.post("/api/sessions", json={})).json()
    assert (await http.get("/api/agents/available")).status_code == 401
    as_user = await http.get("/api/agents/available", headers=bearer(session["token"]))
    assert as_user.status_code == 403


async def test_rotating_an_agent_token_retires_the_old_one(admin: httpx.AsyncClient) -> None:
    old = (await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})).json()
    rotated = await admin.post("/api/agents/ann/token")
    assert rotated.status_code == 201
    new_token = rotated.json()["token"]
    assert new_token != old["token"]

    assert (
        await admin.get("/api/agents/available", headers=bearer(old["token"]))
    ).status_code == 401
    assert (await admin.get("/api/agents/available", headers=bearer(new_token))).status_code == 200
    assert (await admin.post("/api/agents/zed/token")).status_code == 404


async def test_agents_me_names_the_token_s_agent(admin: httpx.AsyncClient) -> None:
    created = await admin.post("/api/agents", json={"agent_id": "zoe", "name": "Zoe"})
    token = created.json()["token"]
    await admin.post("/api/agents", json={"agent_id": "yan", "name": "Yan"})

    me = await admin.get("/api/agents/me", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["agent_id"] == "zoe"
    assert me.json()["name"] == "Zoe"
    assert "token" not in me.json()

    # Only an agent token has a "me": the admin and customers are refused, guesses too.
    as_admin = await admin.get("/api/agents/me")
    assert as_admin.status_code == 403
    session = (await admin.post("/api/sessions", json={"user_id": "carl"})).json()
    as_user = await admin.get("/api/agents/me", headers=bearer(session["token"]))
    assert as_user.status_code == 403
    unknown = await admin.get("/api/agents/me", headers=bearer("sfa_not-a-real-token"))
    assert unknown.status_code == 401
