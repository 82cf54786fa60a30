"""Conversations over real Socket.IO: small talk, follow-ups, the searched query, /api/ask."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.realtime.clients import customer_session, queued_reasons, say
from tests.support import LiveServer, bearer

# A chat over the demo articles: answers need the embedding model.
pytestmark = pytest.mark.real_model


async def test_small_talk_is_answered_and_never_escalates(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"talk-{uid}") as (customer, session):
        room = session["room_id"]
        for text in ("hiya 👋", "are you a bot?", "ok", "thx!!", "bye"):
            reply = await say(customer, room, text)
            assert reply["act"] is not None, text
            assert reply.get("sources") == [], text
            assert "query" not in reply or reply["query"] is None
        assert customer.received("room_state") == []
        state = (await demo_admin.get(f"/api/sessions/{session['session_id']}")).json()
        assert state["status"] == "bot_active"


async def test_a_greeting_with_a_question_is_a_question(demo_server: LiveServer, uid: str) -> None:
    async with customer_session(demo_server.url, f"greetq-{uid}") as (customer, session):
        reply = await say(customer, session["room_id"], "hi, how do I set up voicemail?")
        assert reply.get("act") is None
        assert any("voicemail" in source["id"] for source in reply["sources"])


async def test_small_talk_does_not_count_toward_a_long_conversation(
    start_server: Any, uid: str
) -> None:
    server: LiveServer = start_server(demo_kb=True)
    # The shipped rules allow 10 customer messages; 12 of small talk, then a question.
    async with customer_session(server.url, f"long-{uid}") as (customer, session):
        room = session["room_id"]
        for _ in range(6):
            await say(customer, room, "hello")
            await say(customer, room, "thanks")
        reply = await say(customer, room, "how do I set up voicemail?")
        assert any("voicemail" in source["id"] for source in reply["sources"])
        await customer.ok("close_room", {"room_id": room})
        assert not [m for m in customer.received("room_state") if m["state"] == "escalating"]


async def test_a_follow_up_is_searched_with_its_topic_and_agents_see_the_query(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"follow-{uid}") as (customer, session):
        room = session["room_id"]
        first = await say(customer, room, "How do I turn on roaming for my trip to Spain?")
        assert first["sources"][0]["id"].startswith("roaming")
        assert first["query"] == "How do I turn on roaming for my trip to Spain?"
        follow = await say(customer, room, "how much does it cost?")
        assert follow["query"] != "how much does it cost?"
        assert "roaming" in follow["query"].lower()
        assert any(source["id"].startswith("roaming") for source in follow["sources"][:3])
        transcript = (
            await demo_admin.get(f"/api/sessions/{session['session_id']}/messages")
        ).json()["messages"]
        bot_lines = [m for m in transcript if m["sender_type"] == "bot"]
        assert bot_lines[-1]["query"] == follow["query"]
        # /api/ask with the session reads the same conversation (nothing stored).
        asked = (
            await demo_admin.post(
                "/api/ask",
                json={"message": "and is there a daily pass?", "session_id": session["session_id"]},
            )
        ).json()
        assert "roaming" in asked["query"].lower()
        assert any(source["id"].startswith("roaming") for source in asked["sources"])


async def test_ask_answers_small_talk_with_its_act(demo_server: LiveServer, uid: str) -> None:
    async with httpx.AsyncClient(base_url=demo_server.url, timeout=60) as http:
        session = (await http.post("/api/sessions", json={})).json()
        asked = await http.post(
            "/api/ask",
            json={"message": "good morning!", "session_id": session["session_id"]},
            headers=bearer(session["token"]),
        )
        body = asked.json()
        assert (body["act"], body["escalate"], body["query"]) == ("greeting", False, None)


async def test_that_did_not_help_hands_over_as_bot_unhelpful(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"unhelp-{uid}") as (customer, session):
        room = session["room_id"]
        await say(customer, room, "How do I set up voicemail?")
        reply = await say(customer, room, "that didn't help")
        assert reply["act"] == "unhelpful"
        queued = await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert queued["sender_type"] == "system"
        assert await queued_reasons(demo_admin, room) == ["bot_unhelpful"]


async def test_unsure_bot_asks_once_and_answers_the_pick(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"clarify-{uid}") as (customer, session):
        room = session["room_id"]
        asked = await say(customer, room, "internet")
        suggestions = asked["suggestions"]
        assert 2 <= len(suggestions) <= 3
        assert asked.get("sources") == [] and "Do you mean" in asked["message"]
        pick = suggestions[1]
        answer = await say(customer, room, pick["title"])
        assert answer["sources"][0]["id"] == pick["id"]
        assert answer.get("suggestions", []) == []
        await customer.ok("close_room", {"room_id": room})
        assert not [e for e in customer.received("room_state") if e["state"] == "escalating"]


# The second unsure turn is about nothing the knowledge base holds, alone or with "internet".
@pytest.mark.parametrize("second", ["none of these", "xylophone lessons for my kids"])
async def test_none_of_these_or_unsure_again_hands_over(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str, second: str
) -> None:
    async with customer_session(demo_server.url, f"none-{second[:4]}-{uid}") as (customer, session):
        room = session["room_id"]
        asked = await say(customer, room, "internet")
        assert asked["suggestions"]
        await say(customer, room, second)
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert await queued_reasons(demo_admin, room) == ["low_confidence"]


@pytest.mark.parametrize(
    ("text", "escalates"),
    [
        ("how do I block scam calls?", False),
        ("why is my first bill higher than I expected?", False),
        ("what happens if I cancel my line?", False),
        ("I was charged twice and want my money back", True),
        ("someone stole my number", True),
    ],
)
async def test_situations_escalate_questions_about_them_are_answered(
    demo_admin: httpx.AsyncClient, text: str, escalates: bool
) -> None:
    decision = (await demo_admin.post("/api/ask", json={"message": text})).json()
    assert decision["escalate"] is escalates, decision["reasons"]
    if escalates:
        assert "sensitive_topic" in decision["reasons"]


async def test_the_bot_is_seen_typing_before_its_reply(demo_server: LiveServer, uid: str) -> None:
    async with customer_session(demo_server.url, f"typing-{uid}") as (customer, session):
        room = session["room_id"]
        reply = await say(customer, room, "How do I set up voicemail?")
        typing = [e for e in customer.received("typing") if e["sender_type"] == "bot"]
        assert [e["is_typing"] for e in typing] == [True, False]
        assert typing[0] == {
            "room_id": room,
            "sender_type": "bot",
            "sender_id": "supportflow-bot",
            "is_typing": True,
        }
        assert reply["sender_type"] == "bot"
