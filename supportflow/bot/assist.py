"""Agent assist: the articles and a draft reply for a customer's latest message (issue 25).

The same retrieval and the same answerer as the bot (Groq when configured, the offline
grounded answerer otherwise), asked on the agent's behalf: the draft is only ever returned,
never posted. The agent puts it in the reply box, edits it and sends it as their own.
Embedding and the vector store run off the event loop as for every bot reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.conversation.context import searchable
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.retrieval import DocumentMatch
from supportflow.llm.answer import Answerer
from supportflow.rooms.responder import Turn
from supportflow.social_text import words_ready

MAX_ARTICLES = 3


@dataclass(frozen=True)
class AssistArticle:
    """A knowledge-base article that matched, with the passage and sentence that did."""

    doc_id: str
    title: str
    category: str
    similarity: float
    passage: str  # the best-matching passage of the article
    sentence: str | None  # within it, the single best-matching sentence, if one was found

    @classmethod
    def of(cls, document: DocumentMatch) -> AssistArticle:
        passage = document.passages[0].passage.text if document.passages else ""
        sentence = document.sentences[0].passage.text if document.sentences else None
        return cls(
            doc_id=document.doc_id,
            title=document.title,
            category=document.category,
            similarity=round(document.similarity, 4),
            passage=passage,
            sentence=sentence,
        )


@dataclass(frozen=True)
class AssistDraft:
    """The answerer's reply to the message, grounded in `cited` (article ids)."""

    text: str
    confidence: float
    provider: str
    cited: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    query: str
    articles: tuple[AssistArticle, ...]
    draft: AssistDraft | None  # None: no article matched, so nothing grounded to say


class AgentAssist:
    """Suggests articles and a draft for the agent of a room; sends nothing itself."""

    def __init__(self, knowledge: KnowledgeBase, answerer: Answerer) -> None:
        self._knowledge = knowledge
        self._answerer = answerer

    async def suggest(self, message: str, history: Sequence[Turn]) -> Suggestion:
        """The best articles for `message` and a draft grounded in them."""
        await words_ready(message)
        query = searchable(message)
        retrieval = await self._knowledge.search(query, max_documents=MAX_ARTICLES)
        articles = tuple(AssistArticle.of(document) for document in retrieval.documents)
        if not articles:
            return Suggestion(query, (), None)
        answer = await self._answerer.answer(message, retrieval, history)
        draft = AssistDraft(answer.text, answer.confidence, answer.provider, answer.cited)
        return Suggestion(query, articles, draft)
