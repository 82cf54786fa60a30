"""The fake bot (tests/fakes.py) against the real one, for what contract tests rely on.

REST and Socket.IO contract tests run their servers on `FAKE_BOT`: the real bot assembled
over a word-hash encoder instead of all-MiniLM-L6-v2. Each test here runs on both bots, so
when the real bot changes what those tests lean on (health, small talk, asking for a
person, an unanswerable question, the knowledge base's bookkeeping), the fake is shown to
have drifted here rather than by a contract test passing for the wrong reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from supportflow.bot.responder import HANDOVER_TEXT
from supportflow.bot.runtime import BotRuntime, assemble_bot
from supportflow.metrics import Metrics
from supportflow.rooms.responder import RoomView
from tests.fakes import open_fake_bot
from tests.knowledge.shared import ARTICLES, shared_embedder
from tests.support import server_settings

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
ROOM = RoomView("room", "session", 1)


@pytest_asyncio.fixture(name="bot", scope="module", loop_scope="module", params=["real", "fake"])
async def fixture_bot(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[BotRuntime]:
    """The real bot (the run's one loaded model) or the fake, each with an empty store."""
    settings = server_settings(tmp_path_factory.mktemp(request.param) / "data")
    settings.data_dir.mkdir(parents=True)
    if request.param == "real":
        bot = await assemble_bot(settings, shared_embedder(), Metrics())
    else:
        bot = await open_fake_bot(settings, Metrics())
    yield bot
    await bot.close()


async def test_health_says_every_component_is_up(bot: BotRuntime) -> None:
    components = await bot.health()
    assert {name: part["status"] for name, part in components.items()} == {
        "embedder": "ok",
        "llm": "ok",
        "vector_store": "ok",
    }
    assert components["llm"]["provider"] == "offline"


@pytest.mark.parametrize("text", ["hello", "thanks", "bye"])
async def test_small_talk_is_answered_without_escalating(bot: BotRuntime, text: str) -> None:
    reply = await bot.responder.respond(ROOM, [], text)
    assert reply.act is not None
    assert not reply.escalate
    assert reply.text


@pytest.mark.parametrize(
    "text", ["I want to speak to a human", "can I talk to an agent please", "real person"]
)
async def test_asking_for_a_person_escalates(bot: BotRuntime, text: str) -> None:
    reply = await bot.responder.respond(ROOM, [], text)
    assert reply.escalate
    assert "human_requested" in reply.reasons


async def test_a_question_the_knowledge_base_does_not_cover_gets_the_off_topic_reply(
    bot: BotRuntime,
) -> None:
    # Nothing ingested is near it (issue 22: what the bot covers, not the agents' queue).
    reply = await bot.responder.respond(ROOM, [], "How do I change the tariff on my account?")
    assert not reply.escalate
    assert reply.act == "off_topic"
    assert reply.text != HANDOVER_TEXT
    assert reply.sources == ()


async def test_the_knowledge_base_keeps_what_is_ingested(bot: BotRuntime) -> None:
    article = ARTICLES[0]
    result = await bot.knowledge.ingest([article])
    assert result.ids == (article.id,)
    assert [summary.id for summary in await bot.knowledge.list_documents()] == [article.id]
    assert (await bot.knowledge.get_document(article.id)).summary.title == article.title
    assert await bot.knowledge.passage_count() > 0
    reply = await bot.responder.respond(ROOM, [], "How much does a roaming day pass cost?")
    assert [source.id for source in reply.sources][:1] == [article.id]
    assert await bot.knowledge.delete_document(article.id) > 0
    assert await bot.knowledge.list_documents() == []
