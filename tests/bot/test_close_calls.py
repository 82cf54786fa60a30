"""A close call between two topics is asked about, not answered from either (issue 26).

The real responder over tests/fakes.py's word-hash encoder: two articles that say the same
in the same words under two titles are a coin toss for any question about them. Last, what
a customer sees of it over Socket.IO.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import asdict
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from supportflow.bot.responder import HANDOVER_TEXT, BotResponder
from supportflow.bot.runtime import BotRuntime
from supportflow.conversation.clarify import CLOSE_CALL
from supportflow.knowledge.documents import Document
from supportflow.metrics import Metrics
from supportflow.rooms.responder import RoomView
from tests.fakes import open_fake_bot
from tests.realtime.clients import customer_session, say
from tests.support import ADMIN_TOKEN, LiveServer, bearer, server_settings

pytestmark = pytest.mark.asyncio(loop_scope="module")
ROOM = RoomView("room", "session", 1)
BODY = (
    "Your bill for the order arrives each month. You can read your bill for the order "
    "online in your account."
)
ARTICLES = [
    Document("post", "Bill by post", "billing", BODY),
    Document("email", "Bill by email", "billing", BODY),
    Document(
        "roaming",
        "Roaming abroad",
        "travel",
        "Turn on roaming in Settings before you travel abroad. A day pass costs ten dollars.",
    ),
]
TIED = "can I read my bill for the order online in my account"


@pytest_asyncio.fixture(name="bot", scope="module", loop_scope="module")
async def fixture_bot(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[BotRuntime]:
    settings = server_settings(Path(tmp_path_factory.mktemp("close") / "data"))
    settings.data_dir.mkdir(parents=True)
    bot = await open_fake_bot(settings, Metrics())
    await bot.knowledge.ingest_trusted(ARTICLES)
    yield bot
    await bot.close()


async def test_a_coin_toss_between_two_topics_asks_with_both_as_quick_replies(
    bot: BotRuntime,
) -> None:
    reply = await bot.responder.respond(ROOM, [], TIED)
    assert not reply.escalate
    assert reply.sources == ()
    assert {s.id for s in reply.suggestions} == {"post", "email"}
    assert "Do you mean" in reply.text
    assert {s.id for s in reply.considered[:2]} == {"post", "email"}


async def test_a_coin_toss_that_goes_to_a_person_quotes_neither(bot: BotRuntime) -> None:
    reply = await bot.responder.respond(ROOM, [], f"I want a refund, {TIED}")
    assert reply.escalate and "sensitive_topic" in reply.reasons
    assert "low_confidence" not in reply.reasons
    assert (reply.text, reply.sources, reply.suggestions) == (HANDOVER_TEXT, (), ())
    assert {s.id for s in reply.considered[:2]} == {"post", "email"}


async def test_a_clear_lead_is_answered(bot: BotRuntime) -> None:
    reply = await bot.responder.respond(ROOM, [], "how do I turn on roaming before I travel abroad")
    assert [s.id for s in reply.sources] == ["roaming"]
    assert reply.suggestions == ()


async def test_without_close_calls_the_best_article_answers(bot: BotRuntime) -> None:
    responder = bot.responder
    assert isinstance(responder, BotResponder)
    responder.close_call_margin = -1.0
    try:
        reply = await responder.respond(ROOM, [], TIED)
    finally:
        responder.close_call_margin = CLOSE_CALL
    assert len(reply.sources) == 1 and reply.sources[0].id in {"post", "email"}


@pytest.mark.slow
async def test_over_socketio_the_customer_is_asked_and_their_pick_is_answered(
    start_server: Callable[..., LiveServer], uid: str
) -> None:
    server = start_server()
    async with httpx.AsyncClient(base_url=server.url, headers=bearer(ADMIN_TOKEN)) as admin:
        body = {"documents": [asdict(document) for document in ARTICLES]}
        (await admin.post("/api/ingest", json=body)).raise_for_status()
    async with customer_session(server.url, f"close-{uid}") as (customer, session):
        room = session["room_id"]
        asked = await say(customer, room, TIED)
        assert asked.get("sources") == [] and "Do you mean" in asked["message"]
        assert {s["id"] for s in asked["suggestions"]} == {"post", "email"}
        answer = await say(customer, room, "Bill by email")
        assert [s["id"] for s in answer["sources"]] == ["email"]
        await customer.ok("close_room", {"room_id": room})
        assert not [e for e in customer.received("room_state") if e["state"] == "escalating"]
