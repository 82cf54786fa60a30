"""The condense-question step: Groq rewrites a follow-up into a standalone question.

"how much does it cost?" after a roaming answer becomes "How much does roaming in Spain
cost?". The rewrite is only a candidate reading: the responder still compares its
retrieval evidence with the message's own, and any failure (timeout, error status, an
empty or rambling reply) returns None, so the offline fusion is used instead.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import groq

from supportflow.rooms.responder import Turn

HISTORY_TURNS = 6
MAX_QUESTION_CHARS = 300
_ROLES = {"user": "Customer", "bot": "Assistant", "agent": "Agent"}

SYSTEM_PROMPT = """Rewrite the customer's last message as one standalone question that can be
understood without the conversation: name the product, service or topic it refers to.
Keep the customer's meaning; do not answer it. Reply with the question only."""

logger = logging.getLogger(__name__)


class QuestionCondenser:
    """Standalone rewrites of follow-ups, by Groq; None on any failure."""

    def __init__(self, client: groq.AsyncGroq, model: str) -> None:
        self._client = client
        self._model = model
        self.failures = 0

    async def condense(self, history: Sequence[Turn], text: str) -> str | None:
        transcript = "\n".join(
            f"{_ROLES[turn.sender_type]}: {turn.text}"
            for turn in list(history)[-HISTORY_TURNS:]
            if turn.sender_type in _ROLES and turn.text.strip()
        )
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT},
            {
                "role": "user",
                "content": f"Conversation:\n{transcript}\n\nLast message: {text}",
            },
        ]
        try:
            completion: Any = await self._client.chat.completions.create(
                model=self._model,
                messages=messages,  # type: ignore[arg-type]
                temperature=0.0,
                max_tokens=80,
            )
            content = completion.choices[0].message.content
        except Exception as error:  # the offline fusion takes over
            self.failures += 1
            logger.warning("groq condense failed: %s; fusing offline", error)
            return None
        if not isinstance(content, str):
            self.failures += 1
            return None
        question = " ".join(content.split()).strip('"')
        if not question or len(question) > MAX_QUESTION_CHARS:
            self.failures += 1
            return None
        return question
