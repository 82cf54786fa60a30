"""With Groq streaming, only a reply that is the answer streams: a question back, an unsure
or off-topic reply and an unquoted hand-over arrive whole, no `message_delta` before them.

A live server on the fake bot (tests/fakes.py) with Groq's stand-in (tests/llm/fake_groq.py),
its knowledge base tests/bot/test_close_calls.py's: two articles that say the same under two
titles (any question about them is a close call) and one about roaming.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

import httpx
import pytest

from tests.bot.test_close_calls import ARTICLES, TIED
from tests.llm.fake_groq import FakeGroq
from tests.realtime.clients import customer_session, say
from tests.support import ADMIN_TOKEN, LiveServer, bearer

pytestmark = pytest.mark.slow

ROAMING_QUESTION = "how do I turn on roaming before I travel abroad"
ROAMING = "Turn on roaming in Settings before you travel abroad [roaming]."


async def served(start_server: Callable[..., LiveServer], fake: FakeGroq) -> LiveServer:
    server = start_server(**fake.server_overrides())
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(ADMIN_TOKEN)) as admin:
        body = {"documents": [asdict(document) for document in ARTICLES]}
        (await admin.post("/api/ingest", json=body)).raise_for_status()
    return server


async def test_a_close_call_is_asked_without_streaming_an_answer_first(
    start_server: Callable[..., LiveServer], fake: FakeGroq, uid: str
) -> None:
    server = await served(start_server, fake)
    async with customer_session(server.url, f"unstreamed-{uid}") as (customer, session):
        room = session["room_id"]
        fake.script.append(("ok", "Read your bill online in your account [post]."))
        asked = await say(customer, room, TIED)
        assert "Do you mean" in asked["message"]
        assert customer.received("message_delta") == []
        # Groq was asked all the same (it may yet say it cannot answer), without streaming.
        assert [request.get("stream", False) for request in fake.requests] == [False]
    async with customer_session(server.url, f"streamed-{uid}") as (customer, session):
        fake.script.append(("ok", ROAMING))
        answer = await say(customer, session["room_id"], ROAMING_QUESTION)
        assert [s["id"] for s in answer["sources"]] == ["roaming"]
        deltas = customer.received("message_delta")
        assert "".join(d["text"] for d in deltas) == answer["message"]


async def test_an_off_topic_reply_arrives_whole_and_costs_no_groq_call(
    start_server: Callable[..., LiveServer], fake: FakeGroq, uid: str
) -> None:
    server = await served(start_server, fake)
    async with customer_session(server.url, f"unsure-{uid}") as (customer, session):
        fake.script.append(("ok", "Mount Etna did."))
        reply = await say(customer, session["room_id"], "which volcano erupted last winter")
        assert reply["act"] == "off_topic" and "Etna" not in reply["message"]
        assert customer.received("message_delta") == []
        assert fake.requests == []
