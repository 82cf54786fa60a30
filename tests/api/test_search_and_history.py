"""`GET /api/search` over a live server on both engines: who finds what, and opening it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.realtime.clients import claimed_room, new_agent
from tests.support import LiveServer, bearer, shared_server

search_server, search_admin = shared_server("search_server", "search_admin", both_engines=True)


def found(response: httpx.Response) -> list[tuple[str, int | None]]:
    assert response.status_code == 200, response.text
    return [(r["room_id"], r["match"] and r["match"]["seq"]) for r in response.json()["results"]]


async def test_search_is_scoped_to_who_asks_and_never_shows_a_customer_a_note(
    search_server: LiveServer, search_admin: httpx.AsyncClient, uid: str
) -> None:
    admin = search_admin
    customer, session, agent, account = await claimed_room(
        search_server.url, admin, f"cust-{uid}", f"ann-{uid}"
    )
    outsider, other = await new_agent(admin, f"bob-{uid}")
    room = session["room_id"]
    phrase = f"router{uid} keeps rebooting"
    try:
        said = await customer.ok("send_message", {"room_id": room, "message": f"My {phrase}"})
        note = await agent.ok("add_note", {"room_id": room, "text": f"router{uid} under recall"})
        as_customer = bearer(session["token"])
        mine = await admin.get("/api/search", params={"q": f"router{uid}"}, headers=as_customer)
        assert found(mine) == [(room, said["seq"])]  # the note matches too, but is not theirs
        assert mine.json()["results"][0]["match"]["private"] is False
        await agent.ok("close_room", {"room_id": room})

        everything = await admin.get("/api/search", params={"q": f'"{phrase}"'})
        assert found(everything) == [(room, said["seq"])]
        hit = everything.json()["results"][0]
        marked = [p["text"].lower() for p in hit["match"]["snippet"] if p["match"]]
        assert " ".join(marked).split() == phrase.lower().split()
        assert (hit["state"], hit["customer"]["user_id"]) == ("closed", f"cust-{uid}")

        owner = bearer(account["token"])
        by_owner = await admin.get("/api/search", params={"q": f"router{uid}"}, headers=owner)
        assert found(by_owner) == [(room, note["seq"]), (room, said["seq"])]
        assert by_owner.json()["results"][0]["match"]["private"] is True
        not_theirs = bearer(other["token"])
        by_other = await admin.get("/api/search", params={"q": f"router{uid}"}, headers=not_theirs)
        assert found(by_other) == []

        opened = f"/api/search/conversations/{session['session_id']}"
        transcript = (await admin.get(opened, headers=owner)).json()["messages"]
        assert note["seq"] in [m["seq"] for m in transcript]
        refused = await admin.get(opened, headers=not_theirs)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_your_room"
    finally:
        for client in (customer, agent, outsider):
            await client.close()


async def test_filters_pages_and_bad_input(search_admin: httpx.AsyncClient, uid: str) -> None:
    admin = search_admin
    customer = (await admin.post("/api/sessions", json={"user_id": f"kim-{uid}"})).json()
    session_id = customer["session_id"]

    async def search(**params: Any) -> httpx.Response:
        return await admin.get("/api/search", params=params)

    listed = await search(customer=f"kim-{uid}", state="bot_active")
    assert [r["customer"]["user_id"] for r in listed.json()["results"]] == [f"kim-{uid}"]
    assert listed.json()["results"][0]["match"] is None
    assert found(await search(customer=f"kim-{uid}", state="closed")) == []
    paged = (await search(q="anything", per_page=5, page=2)).json()
    assert (paged["page"], paged["per_page"], paged["has_more"]) == (2, 5, False)
    for bad in ({"state": "lost"}, {"per_page": 0}, {"since": "yesterday"}, {"q": "x" * 201}):
        refused = await search(**bad)
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_input"
    teams = await search(team=f"nobody-{uid}")
    assert teams.status_code == 404 and teams.json()["error"]["code"] == "team_not_found"
    # A team's filter: the chats escalated to its queue, nobody else's.
    team = {"team_id": f"legal-{uid}", "name": f"Legal {uid}", "reasons": ["legal_threat"]}
    assert (await admin.post("/api/teams", json=team)).status_code == 201
    assert found(await search(team=f"legal-{uid}")) == []
    escalated = await admin.post(
        "/api/escalate", json={"session_id": session_id, "reason": "legal_threat"}
    )
    assert escalated.status_code == 201, escalated.text
    routed = (await search(team=f"legal-{uid}")).json()["results"]
    assert [r["customer"]["user_id"] for r in routed] == [f"kim-{uid}"]
    assert (await admin.get("/api/search", headers={"Authorization": ""})).status_code == 401


async def test_the_agent_taking_a_chat_sees_the_customers_earlier_chats(
    search_server: LiveServer, search_admin: httpx.AsyncClient, uid: str
) -> None:
    admin = search_admin
    customer, before, agent, ann = await claimed_room(
        search_server.url, admin, f"hal-{uid}", f"ann-{uid}"
    )
    later_customer, now, later_agent, bob = await claimed_room(
        search_server.url, admin, f"hal-{uid}", f"bob-{uid}"
    )
    outsider, other = await new_agent(admin, f"cy-{uid}")
    try:
        await customer.ok("send_message", {"room_id": before["room_id"], "message": "No 4G"})
        note = await agent.ok("add_note", {"room_id": before["room_id"], "text": "mast down"})
        await agent.ok("close_room", {"room_id": before["room_id"]})

        path = f"/api/sessions/{now['session_id']}/history"
        listed = await admin.get(path, headers=bearer(bob["token"]))
        assert listed.status_code == 200, listed.text
        history = listed.json()
        assert history["user_id"] == f"hal-{uid}"
        [earlier] = history["conversations"]
        assert (earlier["session_id"], earlier["state"], earlier["topic"]) == (
            before["session_id"],
            "closed",
            "No 4G",
        )
        assert (earlier["agent_id"], earlier["agent_name"]) == (ann["agent_id"], ann["name"])
        assert earlier["rating"] is None

        opened = await admin.get(
            f"{path}/{before['session_id']}/messages", headers=bearer(bob["token"])
        )
        assert note["seq"] in [m["seq"] for m in opened.json()["messages"]]
        unknown = await admin.get(f"{path}/{now['session_id']}/messages")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "conversation_not_found"
        # Only those who may read the chat: not another agent, not the customer.
        assert (await admin.get(path, headers=bearer(other["token"]))).status_code == 403
        assert (await admin.get(path, headers=bearer(now["token"]))).status_code == 403
        earliest = await admin.get(f"/api/sessions/{before['session_id']}/history")
        assert earliest.json()["conversations"] == []
    finally:
        for client in (customer, agent, later_customer, later_agent, outsider):
            await client.close()
