"""Seed parity: customers and agents carry name, email and phone, validated and returned."""

from __future__ import annotations

import httpx
import pytest


async def test_a_user_keeps_name_email_and_phone(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/api/users",
        json={
            "user_id": "alice",
            "name": "Alice Moreau",
            "email": "alice@example.com",
            "phone": "+33 6 12 34 56 78",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["name"], body["email"], body["phone"]) == (
        "Alice Moreau",
        "alice@example.com",
        "+33 6 12 34 56 78",
    )
    bare = await admin.post("/api/users", json={"user_id": "bare"})
    assert bare.json()["email"] is None and bare.json()["phone"] is None


async def test_an_agent_keeps_email_and_phone_everywhere_it_is_listed(
    admin: httpx.AsyncClient,
) -> None:
    created = await admin.post(
        "/api/agents",
        json={
            "agent_id": "ann",
            "name": "Ann",
            "email": "ann@nimbus.example",
            "phone": "(555) 010-2030",
            "is_available": True,
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "ann@nimbus.example"
    assert created.json()["phone"] == "(555) 010-2030"

    available = (await admin.get("/api/agents/available")).json()["agents"]
    assert [(a["agent_id"], a["email"], a["phone"]) for a in available] == [
        ("ann", "ann@nimbus.example", "(555) 010-2030")
    ]
    everyone = (await admin.get("/api/agents")).json()["agents"]
    assert [a["agent_id"] for a in everyone] == ["ann"]
    assert everyone[0]["phone"] == "(555) 010-2030"
    rotated = (await admin.post("/api/agents/ann/token")).json()
    assert rotated["email"] == "ann@nimbus.example"


@pytest.mark.parametrize(
    "extra",
    [
        {"email": "not-an-address"},
        {"email": "two@@example.com"},
        {"email": "spaced out@example.com"},
        {"email": "nodot@localhost"},
        {"email": "a" * 250 + "@example.com"},
        {"phone": "call me"},
        {"phone": "12"},
        {"phone": "+1 555 0100 ext. 7"},
        {"phone": 5550100},
    ],
)
async def test_bad_contact_details_are_400_for_users_and_agents(
    admin: httpx.AsyncClient, extra: dict[str, object], uid: str
) -> None:
    as_user = await admin.post("/api/users", json={"user_id": f"u-{uid}", **extra})
    assert as_user.status_code == 400, as_user.text
    assert as_user.json()["error"]["code"] == "invalid_input"
    as_agent = await admin.post("/api/agents", json={"name": "A", **extra})
    assert as_agent.status_code == 400, as_agent.text
    # Refused means not stored: the id is still free.
    assert (await admin.post("/api/users", json={"user_id": f"u-{uid}"})).status_code == 201


async def test_only_the_admin_lists_every_agent(
    admin: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    ann = (await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})).json()
    assert (await http.get("/api/agents")).status_code == 401
    as_agent = await http.get("/api/agents", headers={"Authorization": f"Bearer {ann['token']}"})
    assert as_agent.status_code == 403
