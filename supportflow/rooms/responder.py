"""What a room asks of whoever answers customers: the `Responder` seam.

The room hands every customer message in `bot_active` to a `Responder` and acts on the
`Reply`; it never knows whether the answer came from Groq, the offline answerer or a test
double. The knowledge package provides the real implementations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Source:
    """A knowledge-base document a reply names (bot/sources.py says which and why)."""

    id: str
    title: str
    score: float
    # The article's knowledge-base category: what routes a hand-over to a team (teams.md).
    category: str = ""


@dataclass(frozen=True)
class Turn:
    """One earlier message of the conversation, oldest first in a history."""

    sender_type: str  # user | bot | agent | system
    text: str
    # The stored message's metadata: a bot reply's query, sources, confidence, act, ...
    # It is the conversation's memory (follow-ups, clarifying questions).
    metadata: Mapping[str, Any] = field(default_factory=dict)


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
    # The article(s) the text came from; none for a hand-over sentence.
    sources: tuple[Source, ...] = ()
    escalate: bool = False
    reasons: tuple[str, ...] = ()
    provider: str = "offline"
    # What the bot searched: the message, or the message fused with the conversation so
    # far (follow-ups). None when nothing was searched (small talk).
    query: str | None = None
    # The dialogue act answered ("greeting", "thanks", ...), when the message was one.
    act: str | None = None
    # Articles offered as quick replies by a clarifying question ("Do you mean ...?").
    suggestions: tuple[Source, ...] = ()
    # Ties the stored reply to the `message_delta` pieces streamed while it was written.
    reply_id: str | None = None
    # Other articles close to the question, offered as "Also: ..." quick replies.
    related: tuple[Source, ...] = ()
    # The best distinct articles retrieval ranked, quoted or not (for agents, evaluation).
    considered: tuple[Source, ...] = ()


class Responder(Protocol):
    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        """Answer `text` given the room and its history, deciding whether to escalate."""
        ...
