"""Canned replies over real HTTP: admins manage them, agents list them filled in for a room."""

from __future__ import annotations

import httpx
import pytest

from tests.support import bearer


async def test_admin_creates_reads_updates_and_deletes(admin: httpx.AsyncClient) -> None:
    created = await admin.post(
        "/api/canned-replies",
        json={"shortcut": "hello", "title": "Greeting", "text": "Hi {customer_name}!"},
    )
    assert created.status_code == 201, created.text
    reply = created.json()
    assert (reply["shortcut"], reply["title"], reply["text"]) == (
        "hello",
        "Greeting",
        "Hi {customer_name}!",
    )

    fetched = await admin.get(f"/api/canned-replies/{reply['id']}")
    assert fetched.json() == reply

    updated = await admin.put(
        f"/api/canned-replies/{reply['id']}",
        json={"shortcut": "hi", "text": "Hello {customer_name}, {agent_name} here."},
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["shortcut"] == "hi"
    assert updated.json()["title"] is None
    assert updated.json()["created_at"] == reply["created_at"]

    deleted = await admin.delete(f"/api/canned-replies/{reply['id']}")
    assert deleted.json() == {"id": reply["id"], "deleted": True}
    for response in (
        await admin.get(f"/api/canned-replies/{reply['id']}"),
        await admin.delete(f"/api/canned-replies/{reply['id']}"),
        await admin.put(f"/api/canned-replies/{reply['id']}", json={"shortcut": "x", "text": "y"}),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "canned_reply_not_found"


async def test_shortcuts_are_unique(admin: httpx.AsyncClient) -> None:
    first = (await admin.post("/api/canned-replies", json={"shortcut": "a", "text": "A"})).json()
    await admin.post("/api/canned-replies", json={"shortcut": "b", "text": "B"})
    again = await admin.post("/api/canned-replies", json={"shortcut": "a", "text": "again"})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "shortcut_exists"
    renamed = await admin.put(
        f"/api/canned-replies/{first['id']}", json={"shortcut": "b", "text": "A"}
    )
    assert renamed.status_code == 409
    kept = (await admin.get(f"/api/canned-replies/{first['id']}")).json()
    assert kept["shortcut"] == "a"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"shortcut": "Hello", "text": "x"}, "invalid_input"),
        ({"shortcut": "/hello", "text": "x"}, "invalid_input"),
        ({"shortcut": "a" * 33, "text": "x"}, "invalid_input"),
        ({"shortcut": "ok", "text": ""}, "invalid_input"),
        ({"shortcut": "ok", "text": "x" * 2001}, "invalid_input"),
        ({"shortcut": "ok", "text": "x", "extra": 1}, "invalid_input"),
        ({"shortcut": "ok", "text": "Hi {name}"}, "invalid_input"),
        ({"shortcut": "ok", "text": "Hi {customer_name.__class__}"}, "invalid_input"),
        ({"shortcut": "ok", "text": "Hi {customer_name!r}"}, "invalid_input"),
        ({"shortcut": "ok", "text": "Hi {customer_name:>99}"}, "invalid_input"),
        ({"shortcut": "ok", "text": "a lone { brace"}, "invalid_input"),
    ],
)
async def test_bad_canned_replies_are_400(
    admin: httpx.AsyncClient, body: dict[str, object], code: str
) -> None:
    response = await admin.post("/api/canned-replies", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert (await admin.get("/api/canned-replies")).json()["canned_replies"] == []


async def test_agents_list_by_prefix_filled_in_for_a_room(
    admin: httpx.AsyncClient, http: httpx.AsyncClient
) -> None:
    for shortcut, text in [
        ("greet", "Hi {customer_name}, {agent_name} here."),
        ("greet-late", "Good evening {customer_name}."),
        ("bye", "Thanks {customer_id}, {{bye}}!"),
    ]:
        assert (
            await admin.post("/api/canned-replies", json={"shortcut": shortcut, "text": text})
        ).status_code == 201
    ann = (await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})).json()
    await admin.post("/api/users", json={"user_id": "alice", "name": "Alice"})
    session = (await admin.post("/api/sessions", json={"user_id": "alice"})).json()
    nameless = (await admin.post("/api/sessions", json={"user_id": "bob"})).json()
    as_ann = bearer(ann["token"])

    listed = await http.get("/api/canned-replies", params={"prefix": "gr"}, headers=as_ann)
    assert [r["shortcut"] for r in listed.json()["canned_replies"]] == ["greet", "greet-late"]
    assert all(r["rendered"] is None for r in listed.json()["canned_replies"])

    # An agent may fill replies in only for a room it may read: queued or its own.
    unread = await http.get(
        "/api/canned-replies", params={"room_id": session["room_id"]}, headers=as_ann
    )
    assert unread.status_code == 403
    await admin.post("/api/escalate", json={"session_id": session["session_id"]})
    await admin.post("/api/escalate", json={"session_id": nameless["session_id"]})
    filled = await http.get(
        "/api/canned-replies", params={"room_id": session["room_id"]}, headers=as_ann
    )
    rendered = {r["shortcut"]: r["rendered"] for r in filled.json()["canned_replies"]}
    assert rendered == {
        "bye": "Thanks alice, {bye}!",
        "greet": "Hi Alice, Ann here.",
        "greet-late": "Good evening Alice.",
    }
    anonymous = await http.get(
        "/api/canned-replies",
        params={"room_id": nameless["room_id"], "prefix": "greet-"},
        headers=as_ann,
    )
    assert [r["rendered"] for r in anonymous.json()["canned_replies"]] == ["Good evening there."]

    # A room that does not exist answers as one the agent may not read (issue 20, item 8).
    missing = await http.get("/api/canned-replies", params={"room_id": "nope"}, headers=as_ann)
    assert missing.status_code == 403
    assert missing.json()["error"]["code"] == "not_your_room"
    bad_prefix = await http.get("/api/canned-replies", params={"prefix": "%"}, headers=as_ann)
    assert bad_prefix.status_code == 400


async def test_who_may_do_what(admin: httpx.AsyncClient, http: httpx.AsyncClient) -> None:
    ann = (await admin.post("/api/agents", json={"agent_id": "ann", "name": "Ann"})).json()
    session = (await http.post("/api/sessions", json={})).json()
    reply = (await admin.post("/api/canned-replies", json={"shortcut": "a", "text": "A"})).json()
    as_agent, as_user = bearer(ann["token"]), bearer(session["token"])

    assert (await http.get("/api/canned-replies")).status_code == 401
    assert (await http.get("/api/canned-replies", headers=as_user)).status_code == 403
    assert (await http.get(f"/api/canned-replies/{reply['id']}", headers=as_agent)).is_success
    body = {"shortcut": "b", "text": "B"}
    assert (await http.post("/api/canned-replies", json=body, headers=as_agent)).status_code == 403
    put = await http.put(f"/api/canned-replies/{reply['id']}", json=body, headers=as_agent)
    assert put.status_code == 403
    gone = await http.delete(f"/api/canned-replies/{reply['id']}", headers=as_agent)
    assert gone.status_code == 403
    assert (await admin.get(f"/api/canned-replies/{reply['id']}")).json()["text"] == "A"
