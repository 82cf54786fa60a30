"""The Groq answerer against a local fake of Groq's API: never the internet."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from supportflow.knowledge.base import KnowledgeBase
from supportflow.llm.answer import calibrated_confidence
from supportflow.llm.groq_answerer import NO_ANSWER_CONFIDENCE, GroqAnswerer
from supportflow.llm.offline import OfflineAnswerer
from supportflow.rooms.responder import Turn
from tests.llm.fake_groq import FakeGroq

QUESTION = "How much is the roaming day pass?"
pytestmark = pytest.mark.slow


@pytest.fixture(name="answerer")
async def fixture_answerer(fake: FakeGroq) -> AsyncIterator[GroqAnswerer]:
    answerer = fake.answerer(timeout_seconds=1.0, max_retries=1)
    yield answerer
    await answerer.close()


async def test_success_uses_the_reply_cites_and_keeps_retrieval_confidence(
    fake: FakeGroq, answerer: GroqAnswerer, articles_kb: KnowledgeBase
) -> None:
    fake.script.append(("ok", "A day pass costs 10 dollars per day [roaming]."))
    retrieval = await articles_kb.search(QUESTION)
    history = [Turn("user", "hi"), Turn("bot", "Hello! How can I help?"), Turn("system", "x")]
    answer = await answerer.answer(QUESTION, retrieval, history)
    assert answer.provider == "groq"
    # The bracketed id is the answer's source, not part of what the customer reads.
    assert answer.text == "A day pass costs 10 dollars per day."
    assert answer.cited == ("roaming",)
    assert answer.confidence == calibrated_confidence(retrieval)
    sent = fake.requests[0]
    assert sent["model"] == "llama-3.1-8b-instant"
    roles = [message["role"] for message in sent["messages"]]
    assert roles == ["system", "user", "assistant", "user"]  # system turns are not sent
    assert "[roaming]" in sent["messages"][0]["content"]


async def test_no_answer_marker_caps_confidence(
    fake: FakeGroq, answerer: GroqAnswerer, articles_kb: KnowledgeBase
) -> None:
    fake.script.append(("ok", "NO_ANSWER I will connect you with a colleague."))
    answer = await answerer.answer(QUESTION, await articles_kb.search(QUESTION), [])
    assert answer.confidence <= NO_ANSWER_CONFIDENCE
    assert answer.text == "I will connect you with a colleague."


async def test_429_then_success_is_retried(
    fake: FakeGroq, answerer: GroqAnswerer, articles_kb: KnowledgeBase
) -> None:
    fake.script.extend([("status", 429), ("ok", "Retried fine [roaming].")])
    answer = await answerer.answer(QUESTION, await articles_kb.search(QUESTION), [])
    assert answer.provider == "groq"
    assert answer.text == "Retried fine."
    assert len(fake.requests) == 2
    assert not answer_failures(answerer)


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ([("status", 500), ("status", 500)], "server_error"),
        ([("status", 429), ("status", 429)], "rate_limited"),
        ([("sleep", 3.0), ("sleep", 3.0)], "timeout"),
        ([("raw", '{"choices": []}')], "malformed"),
        ([("raw", "this is not json")], "malformed"),
        ([("ok", "   ")], "malformed"),
    ],
)
async def test_failures_fall_back_to_the_offline_answer_and_are_counted(
    fake: FakeGroq,
    answerer: GroqAnswerer,
    articles_kb: KnowledgeBase,
    steps: list[tuple[str, object]],
    kind: str,
) -> None:
    fake.script.extend(steps)
    retrieval = await articles_kb.search(QUESTION)
    answer = await answerer.answer(QUESTION, retrieval, [])
    offline = await OfflineAnswerer().answer(QUESTION, retrieval, [])
    assert answer == offline
    assert answerer.failures == {kind: 1}


def answer_failures(answerer: GroqAnswerer) -> int:
    return sum(answerer.failures.values())
