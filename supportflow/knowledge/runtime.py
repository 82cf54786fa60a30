"""The knowledge side as the app sees it: opened once at start-up, closed at shutdown.

PLACEHOLDER until the knowledge issue lands: answers with a fixed low-confidence reply so
the rest of the service can be built and tested.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from supportflow.rooms.responder import Reply, Responder, RoomView, Turn
from supportflow.settings import Settings


class _PlaceholderResponder:
    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        return Reply(
            text="Let me find someone who can help.",
            confidence=0.0,
            escalate=True,
            reasons=("low_confidence",),
        )


@dataclass
class KnowledgeRuntime:
    """Everything knowledge-related that lives as long as the server."""

    responder: Responder

    async def health(self) -> dict[str, Any]:
        """Components to merge into /api/health: name -> {"status": "ok"|"error", ...}."""
        return {}

    async def close(self) -> None:
        return None


async def open_knowledge(settings: Settings) -> KnowledgeRuntime:
    """Load the embedder, open the vector store, build the responder (off the event loop)."""
    return KnowledgeRuntime(responder=_PlaceholderResponder())
