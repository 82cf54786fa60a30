"""A close call between two topics is asked about, not answered from either (issue 26).

The real responder over tests/fakes.py's word-hash encoder: two articles that say the same
in the same words under two titles are a coin toss for any question about them. What a
customer sees of it over Socket.IO: tests/conversation/test_close_call_chat.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from supportflow.bot.responder import HANDOVER_TEXT, BotResponder
from supportflow.bot.runtime import BotRuntime
from supportflow.conversation.clarify import CLOSE_CALL
from supportflow.knowledge.documents import Document
from supportflow.metrics import Metrics
from supportflow.rooms.responder import RoomView
from tests.fakes import open_fake_bot
from tests.support import server_settings

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
