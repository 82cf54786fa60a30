"""What can be asked of a room: the commands its mailbox accepts, and their results.

Socket.IO handlers and REST routes build these after validating input; only the room's
actor acts on them, one at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from supportflow.store import EscalationRecord, MessageRecord

# Who sent a command: "user", "agent", "admin" (REST) or "system" (timers, the server).
SenderType = str


@dataclass(frozen=True)
class PostMessage:
    """A customer's or an agent's message. Customers in bot_active get a bot turn after it."""

    sender_type: SenderType  # "user" or "agent"
    sender_id: str
    text: str
    client_msg_id: str | None = None


@dataclass(frozen=True)
class Escalate:
    """Hand the room to the human queue, for every reason given."""

    reasons: tuple[str, ...]
    requested_by: SenderType


@dataclass(frozen=True)
class Claim:
    agent_id: str
    agent_name: str


@dataclass(frozen=True)
class Release:
    """The assigned agent hands the room back to the bot."""

    agent_id: str


@dataclass(frozen=True)
class AgentLost:
    """The assigned agent vanished past the grace period: back to the queue."""

    agent_id: str


@dataclass(frozen=True)
class Close:
    sender_type: SenderType
    sender_id: str


@dataclass(frozen=True)
class ReAlert:
    """The room has waited too long unclaimed: alert agents again, tell the customer."""


@dataclass(frozen=True)
class OwnUpToInterruption:
    """After a restart: if the bot never answered the customer's last message, say so."""


Command = (
    PostMessage | Escalate | Claim | Release | AgentLost | Close | ReAlert | OwnUpToInterruption
)


@dataclass(frozen=True)
class Posted:
    """A stored message; `duplicate` when its client_msg_id had been stored before."""

    message: MessageRecord
    duplicate: bool


@dataclass(frozen=True)
class StateChange:
    room_id: str
    state: str
    previous: str
    agent_id: str | None
    escalation: EscalationRecord | None = None
