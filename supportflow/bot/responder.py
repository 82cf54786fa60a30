"""The bot's `Responder`: retrieve, answer, decide whether a person should take over.

Rooms call this for every customer message in `bot_active`, and `POST /api/ask` calls the
very same object, so what /api/ask reports is what the room would do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from supportflow.escalation.policy import LOW_CONFIDENCE, EscalationDecision, EscalationPolicy
from supportflow.knowledge.base import KnowledgeBase
from supportflow.llm.answer import Answer, Answerer
from supportflow.rooms.responder import Reply, RoomView, Source, Turn

SOURCES_PER_REPLY = 3

HANDOVER_TEXT = (
    "I'm not confident I can answer that correctly, so I'm bringing in a member of our team."
)
HANDOVER_SUFFIX = "A member of our team will take it from here."


class BotResponder:
    """Answers from the knowledge base with the configured answerer and escalation policy."""

    def __init__(self, knowledge: KnowledgeBase, answerer: Answerer, policy: EscalationPolicy):
        self._knowledge = knowledge
        self._answerer = answerer
        self._policy = policy

    @property
    def provider(self) -> str:
        return self._answerer.name

    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        # The escalation rules' semantic layer embeds the raw message again after the
        # answer: embedding it now puts it in the same micro-batch as the retrieval query
        # (one row when they are equal), and priming hands the vector to the rules.
        embedder = self._knowledge.embedder
        retrieval, vector = await asyncio.gather(
            self._knowledge.search(text), embedder.embed_query(text)
        )
        answer = await self._answerer.answer(text, retrieval, history)
        with embedder.primed({text: vector}):
            decision = await self._policy.decide(text, answer.confidence, room.exchange_count)
        sources = tuple(
            Source(doc.doc_id, doc.title, round(doc.similarity, 4))
            for doc in retrieval.documents[:SOURCES_PER_REPLY]
        )
        return Reply(
            text=reply_text(answer, decision),
            confidence=answer.confidence,
            sources=sources,
            escalate=decision.escalate,
            reasons=decision.reasons,
            provider=answer.provider,
        )


def reply_text(answer: Answer, decision: EscalationDecision) -> str:
    """What the customer reads: the answer, or a hand-over sentence when it is unreliable."""
    if not decision.escalate:
        return answer.text
    if LOW_CONFIDENCE in decision.reasons:
        return HANDOVER_TEXT
    # The answer is sound but the topic needs a person: give it, and say who comes next.
    return f"{answer.text}\n\n{HANDOVER_SUFFIX}"
