"""`AgentAssist` on the real model and Chroma: articles for a message, and a draft from Groq
(its local stand-in) or the offline answerer; it returns, it never posts."""

from __future__ import annotations

import pytest

from supportflow.bot.assist import MAX_ARTICLES, AgentAssist
from supportflow.knowledge.base import KnowledgeBase
from supportflow.llm.offline import OfflineAnswerer
from supportflow.rooms.responder import Turn
from tests.llm.fake_groq import FakeGroq

QUESTION = "How much is the roaming day pass?"
pytestmark = pytest.mark.slow


async def test_groq_drafts_from_the_articles_assist_found(
    fake: FakeGroq, articles_kb: KnowledgeBase
) -> None:
    fake.script.append(("ok", "The day pass costs 10 dollars a day [roaming]."))
    answerer = fake.answerer(timeout_seconds=2.0, max_retries=0)
    try:
        history = [Turn("user", "hi"), Turn("agent", "Hello, Ann here.")]
        suggestion = await AgentAssist(articles_kb, answerer).suggest(QUESTION, history)
    finally:
        await answerer.close()
    assert 0 < len(suggestion.articles) <= MAX_ARTICLES
    best = suggestion.articles[0]
    assert best.doc_id == "roaming" and best.passage
    assert best.sentence  # the single sentence that matched best
    assert suggestion.draft is not None
    assert (suggestion.draft.provider, suggestion.draft.cited) == ("groq", ("roaming",))
    assert suggestion.draft.text == "The day pass costs 10 dollars a day."
    # Grounded: the articles assist shows are the context Groq was given.
    assert "[roaming]" in fake.requests[0]["messages"][0]["content"]


async def test_the_offline_answerer_drafts_from_the_best_article(
    articles_kb: KnowledgeBase,
) -> None:
    assist = AgentAssist(articles_kb, OfflineAnswerer(articles_kb.article_content))
    suggestion = await assist.suggest(QUESTION, [])
    assert suggestion.draft is not None and suggestion.draft.provider == "offline"
    assert suggestion.draft.cited == (suggestion.articles[0].doc_id,)
    assert suggestion.draft.text
