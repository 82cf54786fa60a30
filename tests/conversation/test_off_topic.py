"""Off-topic messages, indirect requests for a person and a negative tone, over real Socket.IO
(real model)."""

from __future__ import annotations

import httpx
import pytest

from tests.realtime.clients import customer_session, queued_reasons, say
from tests.support import LiveServer

OFF_TOPIC = "what's the weather going to be like tomorrow?"
STILL_OFF_TOPIC = "any good pizza places near me?"
# Long, and nothing in the knowledge base is near it: a need the bot has nothing for.
UNCOVERED_NEED = (
    "the football commentators on the sports broadcast keep switching languages halfway "
    "through every single match"
)


async def test_off_topic_gets_what_the_bot_covers_and_quick_replies_not_the_queue(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"offtopic-{uid}") as (customer, session):
        room = session["room_id"]
        reply = await say(customer, room, OFF_TOPIC)
        assert reply["act"] == "off_topic"
        assert "I answer questions about billing" in reply["message"]
        assert reply.get("sources") == []
        assert len(reply["suggestions"]) == 2
        # Picking a topic is answered from that article, still with the bot.
        pick = reply["suggestions"][0]
        answer = await say(customer, room, pick["title"])
        assert answer["sources"][0]["id"] == pick["id"]
        await customer.ok("close_room", {"room_id": room})
        assert not [e for e in customer.received("room_state") if e["state"] == "escalating"]
        assert await queued_reasons(demo_admin, room) == []


async def test_off_topic_twice_in_a_row_hands_over(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"offtwice-{uid}") as (customer, session):
        room = session["room_id"]
        assert (await say(customer, room, OFF_TOPIC))["act"] == "off_topic"
        await say(customer, room, STILL_OFF_TOPIC)
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert await queued_reasons(demo_admin, room) == ["low_confidence"]


async def test_a_long_message_the_knowledge_base_does_not_cover_goes_to_a_person(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"uncovered-{uid}") as (customer, session):
        room = session["room_id"]
        reply = await say(customer, room, UNCOVERED_NEED)
        assert reply.get("act") != "off_topic"
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert await queued_reasons(demo_admin, room) == ["low_confidence"]


async def test_a_complaint_in_a_clearly_negative_tone_goes_to_a_person(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"tone-{uid}") as (customer, session):
        room = session["room_id"]
        await say(
            customer, room, "this company is a disgrace and I regret ever signing up with you"
        )
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert "frustration" in await queued_reasons(demo_admin, room)


async def test_talk_to_a_person_after_off_topic_hands_over_as_a_person_request(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    async with customer_session(demo_server.url, f"offperson-{uid}") as (customer, session):
        room = session["room_id"]
        assert (await say(customer, room, OFF_TOPIC))["act"] == "off_topic"
        await say(customer, room, "Talk to a person")
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert "human_requested" in await queued_reasons(demo_admin, room)


@pytest.mark.parametrize(
    "text",
    [
        "can someone call me?",
        "could I have somebody phone me back this afternoon",
        "can somebody from your team ring me?",
    ],
)
async def test_indirect_requests_for_a_person_escalate(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str, text: str
) -> None:
    async with customer_session(demo_server.url, f"indirect-{uid}") as (customer, session):
        room = session["room_id"]
        await say(customer, room, text)
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert "human_requested" in await queued_reasons(demo_admin, room)


@pytest.mark.parametrize(
    "text", ["does my phone support eSIM?", "how do I call voicemail from another phone?"]
)
async def test_a_question_with_phone_or_call_in_it_is_not_a_person_request(
    demo_admin: httpx.AsyncClient, text: str
) -> None:
    decision = (await demo_admin.post("/api/ask", json={"message": text})).json()
    assert "human_requested" not in decision["reasons"]
