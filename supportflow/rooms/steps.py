"""`RoomSteps`: the persist and announce steps the lifecycle rows name, for one room.

Each row of `rooms.lifecycle.TRANSITIONS` names a `before` step (store the change; if it
raises, the machine leaves the room where it was) and an `after` step (announce what was
stored). The machine calls them with the `Firing` in flight; this module turns it into
`RoomEffects` calls. A new transition adds its two steps here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from supportflow.rooms.commands import Claim, PostMessage, Transfer, TransferToTeam
from supportflow.rooms.effects import DraftReply, RoomEffects
from supportflow.rooms.machine import Firing, Trigger

CLOSING_MESSAGE = "This chat is closed. Thank you! How did we do? Rate this chat from 1 to 5."
RELEASED_MESSAGE = "The agent handed this chat back to the assistant."
# The reason an escalation made by a transfer to a team records.
TRANSFERRED = "transferred"

C = TypeVar("C")


@dataclass(frozen=True)
class EscalationCause:
    """Why a room escalates, and the bot's hand-over reply to post on the way (if any).

    The hand-over is posted whatever happens to the escalation: the customer gets the
    bot's words even when the escalation fails.
    """

    reasons: tuple[str, ...]
    hand_over: DraftReply | None = None


class RoomSteps:
    """The steps of one room's transitions; its actor owns it and reads `exchange_count`."""

    def __init__(
        self, room_id: str, session_id: str, exchange_count: int, effects: RoomEffects
    ) -> None:
        self.room_id = room_id
        self.session_id = session_id
        self.exchange_count = exchange_count
        self._effects = effects

    async def store_message(self, firing: Firing) -> None:
        command = _expect(firing.command, PostMessage)
        posted = await self._effects.store_message(self.room_id, command)
        firing.posted = posted
        if not posted.duplicate and firing.trigger is Trigger.USER_MESSAGE:
            self.exchange_count += 1

    async def announce_message(self, firing: Firing) -> None:
        # A retried message (same client_msg_id) was announced the first time.
        if firing.posted is not None and not firing.posted.duplicate:
            await self._effects.announce(firing.posted.message)

    async def store_escalation(self, firing: Firing) -> None:
        cause = _expect(firing.command, EscalationCause)
        try:
            firing.escalation = await self._effects.open_escalation(
                self.room_id, cause.reasons, firing.sources, cause.hand_over
            )
        except BaseException:
            await self._hand_over(cause)
            raise

    async def announce_escalation(self, firing: Firing) -> None:
        """Alert agents at once, then the bot's hand-over reply (if any), the new state and
        the customer's place in the queue."""
        cause = _expect(firing.command, EscalationCause)
        assert firing.escalation is not None
        try:
            # Alerts first: an agent is what the customer waits for; writing and sending
            # the hand-over reply would only delay them.
            await self._effects.alert_agents(firing.escalation)
        finally:
            await self._hand_over(cause)
        await self._effects.announce_escalation(firing.change, firing.escalation)

    async def store_claim(self, firing: Firing) -> None:
        command = _expect(firing.command, Claim)
        firing.escalation = await self._effects.claim(
            self.room_id, command.agent_id, firing.sources
        )

    async def announce_claim(self, firing: Firing) -> None:
        await self._effects.announce_claim(firing.change)

    async def store_state(self, firing: Firing) -> None:
        await self._effects.set_state(self.room_id, firing.state, firing.sources)

    async def announce_release(self, firing: Firing) -> None:
        await self._effects.announce_change(firing.change, RELEASED_MESSAGE)

    async def announce_close(self, firing: Firing) -> None:
        # The closing message asks the customer to rate the chat (CSAT, the `rate` event).
        await self._effects.announce_change(
            firing.change, CLOSING_MESSAGE, {"csat_request": True, "rating_scale": [1, 5]}
        )
        await self._effects.notifier.room_closed(self.room_id, firing.previous)

    async def store_transfer(self, firing: Firing) -> None:
        command = _expect(firing.command, Transfer)
        await self._effects.transfer(self.room_id, command, firing.sources)

    async def announce_transfer(self, firing: Firing) -> None:
        command = _expect(firing.command, Transfer)
        await self._effects.announce_transfer(firing.change, self.session_id, command)

    async def store_team_transfer(self, firing: Firing) -> None:
        command = _expect(firing.command, TransferToTeam)
        firing.escalation = await self._effects.open_escalation(
            self.room_id, (TRANSFERRED,), firing.sources, team_id=command.team_id
        )

    async def announce_team_transfer(self, firing: Firing) -> None:
        """The team's alert first, then the room's new state, who sent it where, the queue."""
        command = _expect(firing.command, TransferToTeam)
        assert firing.escalation is not None
        await self._effects.alert_agents(firing.escalation)
        await self._effects.announce_team_transfer(firing.change, firing.escalation, command)

    async def _hand_over(self, cause: EscalationCause) -> None:
        if cause.hand_over is not None:
            await self._effects.post_reply(self.room_id, cause.hand_over)


def _expect(command: object, kind: type[C]) -> C:
    """The firing's command, as the row's steps expect it (anything else is a bug)."""
    if not isinstance(command, kind):
        raise TypeError(f"expected a {kind.__name__}, got {type(command).__name__}")
    return command
