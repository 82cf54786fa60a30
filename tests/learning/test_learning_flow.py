"""Learning from hand-offs end to end, over real Socket.IO and REST with the real model: an
agent marks the article that answered a handed-off chat, the next customer's similar message
is answered from it, and once the admin removes the example it is not any more."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.realtime.clients import ChatClient, customer_session, new_agent, say
from tests.support import LiveServer

ARTICLE = "calls-international-calling-from-the-us"
# Words none of the article's passages use: the bot hands both over before it learns.
CONFIRMED = "my mom in Toronto keeps getting charged when she calls me"
SIMILAR = "my dad in Toronto gets charged every time he rings me"


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def handed_over(
    url: str, admin: httpx.AsyncClient, uid: str
) -> tuple[ChatClient, dict[str, Any], ChatClient, dict[str, Any]]:
    """A customer whose question the bot handed over, and the agent who claimed it."""
    agent, account = await new_agent(admin, f"agent-{uid}")
    async with customer_session(url, f"cust-{uid}") as (customer, session):
        reply = await say(customer, session["room_id"], CONFIRMED)
        assert reply["sender_type"] == "bot"
        await customer.wait_for("room_state", lambda e: e["state"] == "escalating")
        # The article is among the ones the bot considered: the console offers it.
        assert ARTICLE in [source["id"] for source in reply["considered"]]
        await agent.ok("claim_room", {"room_id": session["room_id"]})
        return customer, session, agent, account


async def answer_to(url: str, user_id: str) -> dict[str, Any]:
    async with customer_session(url, user_id) as (customer, session):
        return await say(customer, session["room_id"], SIMILAR)


async def decision(admin: httpx.AsyncClient) -> dict[str, Any]:
    """What the bot decides for the similar message (`POST /api/ask`: the room's decision)."""
    asked = await admin.post("/api/ask", json={"message": SIMILAR})
    assert asked.status_code == 200, asked.text
    found: dict[str, Any] = asked.json()
    return found


async def test_a_marked_article_answers_the_next_customer_until_removed(
    learning_server: LiveServer, learning_admin: httpx.AsyncClient, uid: str
) -> None:
    url = learning_server.url
    before = await decision(learning_admin)
    assert before["escalate"] and "low_confidence" in before["reasons"]

    _, session, agent, account = await handed_over(url, learning_admin, uid)
    try:
        async with httpx.AsyncClient(base_url=url, headers=auth(account["token"])) as http:
            marked = await http.post(
                f"/api/sessions/{session['session_id']}/learned-examples",
                json={"article_ids": [ARTICLE]},
            )
        assert marked.status_code == 201, marked.text
        (example,) = marked.json()["examples"]
        assert (example["article_id"], example["text"], example["origin"]) == (
            ARTICLE,
            CONFIRMED,
            "pick",
        )
        assert example["confirmed_by"] == account["agent_id"]
        assert example["confirmed_by_name"] == account["name"]
        assert example["article_missing"] is False and example["confirmed_at"]

        # The next customer's similar message: answered from the article, not handed over.
        after = await answer_to(url, f"after-{uid}")
        assert [source["id"] for source in after["sources"]][:1] == [ARTICLE]
        assert after["confidence"] >= 0.6
        assert not (await decision(learning_admin))["escalate"]

        listed = (await learning_admin.get("/api/learned-examples")).json()["examples"]
        assert example["example_id"] in [e["example_id"] for e in listed]
        removed = await learning_admin.delete(f"/api/learned-examples/{example['example_id']}")
        assert removed.json() == {"example_id": example["example_id"], "deleted": True}

        # Removed: handed over again, as before it was learned.
        again = await answer_to(url, f"again-{uid}")
        assert again["confidence"] < 0.6
        assert (await decision(learning_admin))["reasons"] == before["reasons"]
    finally:
        await agent.close()


async def test_an_article_link_the_agent_sends_is_learned(
    learning_server: LiveServer, learning_admin: httpx.AsyncClient, uid: str
) -> None:
    _, session, agent, account = await handed_over(learning_server.url, learning_admin, uid)
    try:
        await agent.ok(
            "send_message",
            {
                "room_id": session["room_id"],
                "message": f"This should help: [International calling](/help/{ARTICLE})",
            },
        )
        learned: list[dict[str, Any]] = []
        for _ in range(100):
            listed = (await learning_admin.get("/api/learned-examples")).json()["examples"]
            learned = [e for e in listed if e["session_id"] == session["session_id"]]
            if learned:
                break
            await asyncio.sleep(0.1)
        assert [(e["article_id"], e["origin"], e["text"]) for e in learned] == [
            (ARTICLE, "link", CONFIRMED)
        ]
        assert learned[0]["confirmed_by"] == account["agent_id"]
        await learning_admin.delete(f"/api/learned-examples/{learned[0]['example_id']}")
    finally:
        await agent.close()


async def test_refusals_and_bad_input(
    learning_server: LiveServer, learning_admin: httpx.AsyncClient, uid: str
) -> None:
    url = learning_server.url
    _, session, agent, account = await handed_over(url, learning_admin, uid)
    other, other_account = await new_agent(learning_admin, f"other-{uid}")
    path = f"/api/sessions/{session['session_id']}/learned-examples"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            mine, theirs = auth(account["token"]), auth(other_account["token"])
            cases = [
                (
                    await http.post(path, json={"article_ids": ["no-such-article"]}, headers=mine),
                    404,
                ),
                (await http.post(path, json={"article_ids": []}, headers=mine), 400),
                (await http.post(path, json={"article_ids": "x"}, headers=mine), 400),
                (await http.post(path, json={"article_ids": [ARTICLE]}, headers=theirs), 403),
                (await http.post(path, json={"article_ids": [ARTICLE]}), 401),
                (await http.get("/api/learned-examples", headers=mine), 403),
            ]
        for response, status in cases:
            assert response.status_code == status, response.text
            assert set(response.json()["error"]) == {"code", "message"}
        assert cases[0][0].json()["error"]["code"] == "article_not_found"

        # The agent closed the chat: it still handled it, and may still mark its article.
        await agent.ok("close_room", {"room_id": session["room_id"]})
        async with httpx.AsyncClient(base_url=url, headers=auth(account["token"])) as http:
            late = await http.post(path, json={"article_ids": [ARTICLE]})
        assert late.status_code == 201, late.text
        (example,) = late.json()["examples"]
        await learning_admin.delete(f"/api/learned-examples/{example['example_id']}")

        admin_cases = [
            (await learning_admin.post("/api/learned-examples", json={"article_id": ARTICLE}), 400),
            (
                await learning_admin.post(
                    "/api/learned-examples", json={"article_id": ARTICLE, "text": "   "}
                ),
                400,
            ),
            (
                await learning_admin.post(
                    "/api/learned-examples", json={"article_id": "gone", "text": "hi"}
                ),
                404,
            ),
            (await learning_admin.patch("/api/learned-examples/lx_none", json={"text": "x"}), 404),
            (await learning_admin.delete("/api/learned-examples/lx_none"), 404),
        ]
        for response, status in admin_cases:
            assert response.status_code == status, response.text
        assert (await learning_admin.get("/api/learned-examples?article_id=gone")).json() == {
            "examples": []
        }
    finally:
        await agent.close()
        await other.close()


async def test_a_reingest_keeps_examples_and_a_deleted_article_flags_them(
    learning_server: LiveServer, learning_admin: httpx.AsyncClient, uid: str
) -> None:
    article = f"learn-{uid}"
    document = {
        "id": article,
        "title": "Parking at the Nimbus store",
        "category": "stores",
        "content": "Every Nimbus store has free parking for customers for two hours.",
    }
    assert (await learning_admin.post("/api/ingest", json={"documents": [document]})).is_success
    made = await learning_admin.post(
        "/api/learned-examples", json={"article_id": article, "text": "where do I leave my car"}
    )
    assert made.status_code == 201, made.text
    example = made.json()
    assert (example["origin"], example["confirmed_by"], example["session_id"]) == (
        "admin",
        "admin",
        None,
    )
    edited = await learning_admin.patch(
        f"/api/learned-examples/{example['example_id']}",
        json={"text": "where can I leave my car at the shop"},
    )
    assert edited.json()["text"] == "where can I leave my car at the shop"

    document["content"] += " Ask at the desk for a longer stay."
    assert (await learning_admin.post("/api/ingest", json={"documents": [document]})).is_success
    kept = (await learning_admin.get(f"/api/learned-examples/{example['example_id']}")).json()
    assert (kept["article_missing"], kept["article_title"]) == (False, document["title"])

    assert (await learning_admin.delete(f"/api/knowledge/{article}")).is_success
    flagged = (await learning_admin.get(f"/api/learned-examples/{example['example_id']}")).json()
    assert (flagged["article_missing"], flagged["article_title"]) == (True, None)
    asked = await learning_admin.post(
        "/api/ask", json={"message": "where can I leave my car at the shop"}
    )
    assert article not in [source["id"] for source in asked.json()["considered"]]
    await learning_admin.delete(f"/api/learned-examples/{example['example_id']}")
