"""What a room asks of whoever answers customers: the `Responder` seam.

The room hands every customer message in `bot_active` to a `Responder` and acts on the
`Reply`; it never knows whether the answer came from Groq, the offline answerer or a test
double. The knowledge package provides the real implementations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Source:
    """A knowledge-base document the reply drew on."""

    id: str
    title: str
    score: float


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, oldest first in a history."""

    sender_type: str  # user | bot | agent | system
    text: str


@dataclass(frozen=True)
class RoomView:
    """What a responder may know about the room it answers in."""

    room_id: str | None
    session_id: str | None
    # Customer messages so far, this one included: the long-conversation rule reads it.
    exchange_count: int


@dataclass(frozen=True)
class Reply:
    """The bot's answer and the escalation decision taken with it."""

    text: str
    confidence: float
    sources: tuple[Source, ...] = ()
    escalate: bool = False
    reasons: tuple[str, ...] = ()
    provider: str = "offline"


class Responder(Protocol):
    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        """Answer `text` given the room and its history, deciding whether to escalate."""
        ...
