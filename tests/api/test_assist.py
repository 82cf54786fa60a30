"""Agent assist on a live server with the real model and the demo knowledge base."""

from __future__ import annotations

import httpx

from tests.realtime.clients import claimed_room, new_agent
from tests.support import LiveServer, bearer, shared_server

assist_server, assist_admin = shared_server("assist_server", "assist_admin", demo_kb=True)


async def test_assist_grounds_a_draft_in_articles_and_sends_nothing(
    assist_server: LiveServer, assist_admin: httpx.AsyncClient, uid: str
) -> None:
    admin = assist_admin
    customer, session, agent, account = await claimed_room(
        assist_server.url, admin, f"cust-{uid}", f"ann-{uid}"
    )
    outsider, other = await new_agent(admin, f"bob-{uid}")
    path = f"/api/sessions/{session['session_id']}/assist"
    transcript = f"/api/sessions/{session['session_id']}/messages"
    try:
        question = "How do I turn on international roaming before my trip to France?"
        sent = await customer.ok(
            "send_message", {"room_id": session["room_id"], "message": question}
        )
        before = (await admin.get(transcript)).json()["messages"]

        response = await admin.get(path, headers=bearer(account["token"]))
        assert response.status_code == 200, response.text
        assist = response.json()
        assert assist["message"]["seq"] == sent["seq"]
        assert assist["message"]["message"] == question
        titles = [article["title"].lower() for article in assist["articles"]]
        assert titles and "roaming" in titles[0], titles
        best = assist["articles"][0]
        assert best["passage"] and best["sentence"] and 0 < best["similarity"] <= 1
        draft = assist["draft"]
        assert draft["text"] and draft["provider"] == "offline"
        assert draft["cited"] and set(draft["cited"]) <= {a["doc_id"] for a in assist["articles"]}

        # Nothing was posted: the transcript is as it was, and the customer got nothing.
        assert (await admin.get(transcript)).json()["messages"] == before
        assert customer.received("new_message", lambda m: m["seq"] > sent["seq"]) == []

        refused = await admin.get(path, headers=bearer(other["token"]))
        assert refused.status_code == 403
        assert (await admin.get(path, headers=bearer(session["token"]))).status_code == 403
        await agent.ok("close_room", {"room_id": session["room_id"]})
        closed = await admin.get(path)
        assert closed.status_code == 409 and closed.json()["error"]["code"] == "room_not_claimed"
    finally:
        for client in (customer, agent, outsider):
            await client.close()


async def test_a_claimed_chat_without_customer_words_gets_no_suggestion(
    assist_server: LiveServer, assist_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, agent, account = await claimed_room(
        assist_server.url, assist_admin, f"quiet-{uid}", f"cy-{uid}"
    )
    try:
        path = f"/api/sessions/{session['session_id']}/assist"
        empty = (await assist_admin.get(path, headers=bearer(account["token"]))).json()
        assert empty == {"message": None, "query": None, "articles": [], "draft": None}
    finally:
        await customer.close()
        await agent.close()
