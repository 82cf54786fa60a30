"""What can be asked of a room: the commands its mailbox accepts, each typed by its result.

Socket.IO handlers and REST routes build these after validating input; only the room's
actor acts on them, one at a time. A `Command[R]` answers an `R`: `RoomRegistry.submit`
returns exactly that type, so mypy checks every caller against what the room does. Each
command names the actor's handler for it (`apply`), and `RoomHandlers` spells out the
handlers an actor must have, so a command and its handler cannot disagree on the result.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from supportflow.store import (
    EscalationRecord,
    MessageRecord,
    RatingRecord,
    RoomState,
    StoredMessage,
)

# Who sent a command: "user", "agent", "admin" (REST) or "system" (timers, the server).
SenderType = str

# Covariant: a command answering a StateChange answers a `StateChange | None` too.
R = TypeVar("R", covariant=True)
FollowUp = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Outcome(Generic[R]):
    """A handled command: the caller's answer, and work to do after answering."""

    result: R
    follow_up: FollowUp | None = None


class Command(ABC, Generic[R]):
    """A request to one room, answered with an `R` (or an error)."""

    @abstractmethod
    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[R]]:
        """Run this command through `room`'s handler for it (called by the room's actor)."""


@dataclass(frozen=True)
class StateChange:
    """A lifecycle transition as stored: the room went from `previous` to `state`."""

    room_id: str
    state: RoomState
    previous: RoomState
    agent_id: str | None
    escalation: EscalationRecord | None = None


@dataclass(frozen=True)
class PostMessage(Command[StoredMessage]):
    """A customer's or an agent's message. Customers in bot_active get a bot turn after it."""

    sender_type: SenderType  # "user" or "agent"
    sender_id: str
    text: str
    client_msg_id: str | None = None

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StoredMessage]]:
        return room.handle_post_message(self)


@dataclass(frozen=True)
class Escalate(Command[StateChange]):
    """Hand the room to the human queue, for every reason given."""

    reasons: tuple[str, ...]

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange]]:
        return room.handle_escalate(self)


@dataclass(frozen=True)
class Claim(Command[StateChange]):
    """An agent takes a queued room (the room reads its name to announce it)."""

    agent_id: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange]]:
        return room.handle_claim(self)


@dataclass(frozen=True)
class Release(Command[StateChange]):
    """The assigned agent hands the room back to the bot."""

    agent_id: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange]]:
        return room.handle_release(self)


@dataclass(frozen=True)
class Transfer(Command[StateChange]):
    """The assigned agent hands the room to another available agent."""

    agent_id: str
    agent_name: str
    target_id: str
    target_name: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange]]:
        return room.handle_transfer(self)


@dataclass(frozen=True)
class TransferToTeam(Command[StateChange]):
    """The assigned agent sends the room back to the queue, for one team's agents first."""

    agent_id: str
    agent_name: str
    team_id: str
    team_name: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange]]:
        return room.handle_transfer_to_team(self)


@dataclass(frozen=True)
class AgentLost(Command[StateChange | None]):
    """The assigned agent vanished past the grace period: back to the queue.

    None when there is nothing to do (the agent came back, released or closed meanwhile).
    """

    agent_id: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange | None]]:
        return room.handle_agent_lost(self)


@dataclass(frozen=True)
class Close(Command[StateChange]):
    sender_type: SenderType
    sender_id: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[StateChange]]:
        return room.handle_close(self)


@dataclass(frozen=True)
class AddNote(Command[MessageRecord]):
    """A private note by an agent (or the admin): in the transcript, never to the customer."""

    author_type: SenderType  # "agent" or "admin"
    author_id: str
    text: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[MessageRecord]]:
        return room.handle_add_note(self)


@dataclass(frozen=True)
class ReAlert(Command[bool]):
    """The room has waited too long unclaimed, or the office hours began: alert agents
    again, tell the customer (`office_open`: that agents are back).

    False when the room is no longer waiting.
    """

    office_open: bool = False

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[bool]]:
        return room.handle_realert(self)


@dataclass(frozen=True)
class WidenAlert(Command[bool]):
    """Nobody of the room's team claimed it in time: alert every available agent.

    False when the room no longer waits for its team alone (claimed, or widened already).
    """

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[bool]]:
        return room.handle_widen_alert(self)


@dataclass(frozen=True)
class OwnUpToInterruption(Command[bool]):
    """After a restart: if the bot never answered the customer's last message, say so.

    False when the last message was answered.
    """

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[bool]]:
        return room.handle_own_up_to_interruption(self)


@dataclass(frozen=True)
class RateChat(Command[RatingRecord]):
    """The customer rates its closed chat, once (CSAT): 1 to 5, with an optional comment."""

    score: int
    comment: str | None = None

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[RatingRecord]]:
        return room.handle_rate_chat(self)


@dataclass(frozen=True)
class FeedbackGiven:
    """A thumb as stored: `escalated` when a thumb down handed the room to the queue."""

    room_id: str
    seq: int
    verdict: str
    escalated: bool


@dataclass(frozen=True)
class GiveFeedback(Command[FeedbackGiven]):
    """The customer's thumb up or down on the bot reply `seq`: one vote per reply, the last
    one kept. A thumb down while the bot holds the room escalates it for `unhelpful_reason`."""

    seq: int
    verdict: str  # "up" or "down"
    unhelpful_reason: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[FeedbackGiven]]:
        return room.handle_give_feedback(self)


@dataclass(frozen=True)
class LeaveContact(Command[MessageRecord]):
    """The customer leaves an email address to be answered at: kept on the room (a private
    note for agents), never written over the customer's registered contact."""

    email: str

    def apply(self, room: RoomHandlers) -> Awaitable[Outcome[MessageRecord]]:
        return room.handle_leave_contact(self)


class RoomHandlers(Protocol):
    """One handler per command: what a room actor must implement (see `RoomActor`)."""

    async def handle_post_message(self, command: PostMessage) -> Outcome[StoredMessage]: ...

    async def handle_escalate(self, command: Escalate) -> Outcome[StateChange]: ...

    async def handle_claim(self, command: Claim) -> Outcome[StateChange]: ...

    async def handle_release(self, command: Release) -> Outcome[StateChange]: ...

    async def handle_transfer(self, command: Transfer) -> Outcome[StateChange]: ...

    async def handle_transfer_to_team(self, command: TransferToTeam) -> Outcome[StateChange]: ...

    async def handle_agent_lost(self, command: AgentLost) -> Outcome[StateChange | None]: ...

    async def handle_close(self, command: Close) -> Outcome[StateChange]: ...

    async def handle_add_note(self, command: AddNote) -> Outcome[MessageRecord]: ...

    async def handle_realert(self, command: ReAlert) -> Outcome[bool]: ...

    async def handle_widen_alert(self, command: WidenAlert) -> Outcome[bool]: ...

    async def handle_rate_chat(self, command: RateChat) -> Outcome[RatingRecord]: ...

    async def handle_give_feedback(self, command: GiveFeedback) -> Outcome[FeedbackGiven]: ...

    async def handle_leave_contact(self, command: LeaveContact) -> Outcome[MessageRecord]: ...

    async def handle_own_up_to_interruption(
        self, command: OwnUpToInterruption
    ) -> Outcome[bool]: ...
