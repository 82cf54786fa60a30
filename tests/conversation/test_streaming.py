"""With Groq, the reply streams as message_delta pieces, then the stored new_message."""

from __future__ import annotations

from typing import Any

import pytest

from supportflow.knowledge.base import KnowledgeBase
from supportflow.rooms.streaming import streaming_to
from tests.llm.fake_groq import FakeGroq
from tests.realtime.clients import customer_session, say
from tests.support import LiveServer

# A chat over the demo articles: answers need the embedding model.
pytestmark = pytest.mark.real_model

ANSWER = "Turn on roaming in Settings before you travel [roaming-international-roaming]."
# What the customer reads: the bracketed id is the reply's source, listed under it.
SHOWN = "Turn on roaming in Settings before you travel."


async def test_the_reply_streams_then_arrives_whole(
    start_server: Any, fake: FakeGroq, uid: str
) -> None:
    server: LiveServer = start_server(demo_kb=True, **fake.server_overrides())
    async with customer_session(server.url, f"stream-{uid}") as (customer, session):
        room = session["room_id"]
        fake.script.append(("ok", ANSWER))
        reply = await say(customer, room, "How do I turn on roaming?")
        assert fake.requests[-1]["stream"] is True
        deltas = customer.received("message_delta")
        assert len(deltas) > 3
        assert {d["reply_id"] for d in deltas} == {reply["reply_id"]}
        assert all(d["room_id"] == room for d in deltas)
        assert "".join(d["text"] for d in deltas) == reply["message"] == SHOWN
        assert [s["id"] for s in reply["sources"]] == ["roaming-international-roaming"]
        typing = [e["is_typing"] for e in customer.received("typing") if e["sender_type"] == "bot"]
        assert typing == [True, False]


async def test_a_no_answer_reply_never_streams_its_words(
    fake: FakeGroq, articles_kb: KnowledgeBase
) -> None:
    answerer = fake.answerer(timeout_seconds=5.0, max_retries=0)
    pieces: list[str] = []

    async def sink(text: str) -> None:
        pieces.append(text)

    try:
        fake.script.append(("ok", "NO_ANSWER I will connect you with a colleague."))
        retrieval = await articles_kb.search("How much is the roaming day pass?")
        with streaming_to(sink):
            answer = await answerer.answer("How much is the roaming day pass?", retrieval, [])
        assert pieces == []
        assert answer.confidence <= 0.3
        # A failed stream answers offline, like a failed completion.
        fake.script.append(("status", 500))
        with streaming_to(sink):
            fallback = await answerer.answer("How much is the roaming day pass?", retrieval, [])
        assert fallback.provider == "offline"
    finally:
        await answerer.close()
