"""`LearningNotifier`: the room notifier that learns from the article links agents send.

It wraps the notifier rooms announce through; after an agent's message is announced, a
help-center link in it confirms that article for the chat (`LearnedExamples`). The learning
runs as a task of its own, so the room's actor never waits for the store or the encoder,
and a failure there is logged, never raised into the room. Every other call passes straight
through (`__getattr__`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from supportflow.knowledge.article import HELP_PATH
from supportflow.learning.examples import LearnedExamples
from supportflow.rooms.room_notifier import RoomNotifier
from supportflow.store import MessageRecord

log = logging.getLogger(__name__)


class LearningNotifier:
    def __init__(self, inner: RoomNotifier, learning: LearnedExamples) -> None:
        self._inner = inner
        self._learning = learning
        self._tasks: set[asyncio.Task[None]] = set()

    async def message(self, message: MessageRecord) -> None:
        await self._inner.message(message)
        if message.sender_type == "agent" and f"{HELP_PATH}/" in message.body:
            task = asyncio.create_task(self._learn(message))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _learn(self, message: MessageRecord) -> None:
        try:
            made = await self._learning.learn_from_agent_message(message)
        except Exception:  # learning is a side effect: the chat goes on whatever happens
            log.exception("could not learn from an agent's article link")
            return
        if made:
            log.info(
                "learned from an agent's link",
                extra={"room_id": message.room_id, "articles": [e.article_id for e in made]},
            )

    async def settle(self) -> None:
        """Wait for the learning already started (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
