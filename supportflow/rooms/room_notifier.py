"""What a room announces, and to whom: the seam between rooms and the wire.

Rooms call a `RoomNotifier` after each change is stored; the realtime package implements it
with Socket.IO. A multi-process deployment would implement it over a message bus instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from supportflow.store import MessageRecord, RatingRecord, RoomState


@dataclass(frozen=True)
class PreviewLine:
    sender_type: str
    message: str


@dataclass(frozen=True)
class EscalationAlert:
    """A room waiting for a human, as available agents see it in their queue."""

    escalation_id: str
    room_id: str
    session_id: str
    user_id: str
    reasons: tuple[str, ...]
    queued_at: str
    preview: tuple[PreviewLine, ...] = field(default=())
    realert: bool = False
    team_id: str | None = None  # the team it was routed to, if any
    team_name: str | None = None
    # The agent ids to alert (the team's available agents); None: every available agent.
    audience: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TransferAlert:
    """A room handed from one agent to another, as the receiving agent is told."""

    room_id: str
    session_id: str
    user_id: str
    from_agent_id: str
    from_name: str
    to_agent_id: str
    to_name: str


class RoomNotifier(Protocol):
    async def message(self, message: MessageRecord) -> None:
        """A stored message, to everyone in its room."""

    async def state_changed(
        self, room_id: str, state: RoomState, previous: RoomState, agent_id: str | None
    ) -> None:
        """The room's state machine moved: to the room and to every agent's queue."""

    async def escalation_alert(self, alert: EscalationAlert) -> None:
        """A room joined the queue: to `alert.audience`, or every available agent."""

    async def escalation_claimed(self, room_id: str, agent_id: str) -> None:
        """A queued room was claimed: to every agent, so their queues drop it."""

    async def agent_joined(self, room_id: str, agent_id: str, name: str) -> None:
        """The claiming agent joined: to the room."""

    async def bot_typing(self, room_id: str, is_typing: bool) -> None:
        """The bot started or stopped working on a reply: to the room, as `typing`."""

    async def reply_delta(self, room_id: str, reply_id: str, text: str) -> None:
        """The next piece of a bot reply being written (Groq streaming): to the room."""

    async def room_transferred(self, alert: TransferAlert) -> None:
        """The room changed hands: the receiving agent's sockets join it and are alerted."""

    async def room_closed(self, room_id: str, previous: RoomState) -> None:
        """The room closed (after `state_changed` and the closing message)."""

    async def chat_rated(self, rating: RatingRecord) -> None:
        """The customer rated the closed chat (the rater's ack is its only socket news)."""
