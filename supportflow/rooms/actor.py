"""`RoomActor`: one chat room, one mailbox, one consumer task, one state machine.

Every change to a room goes through its mailbox, so a room never handles two commands at
once and its seq, state and escalations stay consistent without locks: the mailbox is the
one lock. A lifecycle command fires one trigger of the room's machine, which runs the
row's guards, stores the change, moves the state and announces it, in that order. The
caller's future is answered as soon as the change is stored; slow follow-up
work (the bot's reply) runs after that, still inside the room's turn.

In a cluster the actor runs under a `RoomHold` (a lease): if the hold is lost, or the
store refuses a write because another node took the room (`LeaseLost`), the actor stops at
once and refuses its mail with `ActorStopped`, so every caller retries through the owner.
A command already writing when the hold is lost is seen through: its writes carry the
hold's fence, so the store keeps them only if no other node took the room, and its caller
hears which (cut off, it could have been refused after its write landed, and a retry would
store it twice).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from supportflow.errors import Conflict, LeaseLost, SupportflowError, Unavailable
from supportflow.rooms.commands import (
    AddNote,
    AgentLost,
    Claim,
    Close,
    Command,
    Escalate,
    FeedbackGiven,
    GiveFeedback,
    LeaveContact,
    Outcome,
    OwnUpToInterruption,
    PostMessage,
    RateChat,
    ReAlert,
    Release,
    StateChange,
    Transfer,
    TransferToTeam,
    WidenAlert,
)
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.machine import FINAL_STATE, RoomLifecycle, RoomState, Trigger
from supportflow.rooms.placement import LocalPlacement, RoomHold
from supportflow.rooms.steps import EscalationCause, RoomSteps
from supportflow.store import MessageRecord, RatingRecord, SessionRecord, StoredMessage

log = logging.getLogger(__name__)

R = TypeVar("R")


@dataclass(frozen=True)
class _Letter(Generic[R]):
    """A command in the mailbox, with the future its sender awaits."""

    command: Command[R]
    reply: asyncio.Future[R]


class ActorStopped(Exception):
    """The actor stopped before it could take the command; the registry respawns it."""


class RoomActor:
    """The only code that changes one room's state."""

    def __init__(
        self, session: SessionRecord, effects: RoomEffects, hold: RoomHold | None = None
    ) -> None:
        self.room_id = session.room_id
        self.hold = hold or LocalPlacement._HOLD
        self.session_id = session.session_id
        self._effects = effects
        self.steps = RoomSteps(session.room_id, session.session_id, session.exchange_count, effects)
        self.lifecycle = RoomLifecycle(
            session.room_id, session.status, session.agent_id, self.steps
        )
        self._mailbox: asyncio.Queue[_Letter[Any] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._accepting = True
        self._busy = False
        self._current: _Letter[Any] | None = None
        # The current command is applying (writing); a lost hold lets it finish.
        self._applying = False
        self._lost = False
        self.last_used = asyncio.get_running_loop().time()

    @property
    def state(self) -> RoomState:
        return self.lifecycle.current

    @property
    def stopped(self) -> bool:
        return self._task is not None and self._task.done()

    @property
    def accepting(self) -> bool:
        return self._accepting

    async def wait_stopped(self) -> None:
        """Until the consumer task has ended (and the registry has forgotten this actor)."""
        if self._task is not None:
            await asyncio.wait({self._task})

    @property
    def idle(self) -> bool:
        return self._mailbox.empty() and not self._busy

    def start(self, on_stop: Callable[[RoomActor], None], idle_seconds: float) -> None:
        self._task = asyncio.create_task(
            self._consume(on_stop, idle_seconds), name=f"room:{self.room_id}"
        )
        self.hold.watch(self._lose)

    async def submit(self, command: Command[R]) -> R:
        """Queue `command` and wait for its result (or its error)."""
        if not self._accepting:
            raise ActorStopped(self.room_id)
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._mailbox.put_nowait(_Letter(command, future))
        self.last_used = asyncio.get_running_loop().time()
        return await future

    async def stop(self) -> None:
        """Take no new commands, finish every queued one, then end the consumer task."""
        if self._accepting:
            self._accepting = False
            self._mailbox.put_nowait(None)
        # wait, not await: a task cut off by a lost hold ends cancelled, and that is no
        # reason to cancel whoever is stopping it.
        await self.wait_stopped()

    async def abandon(self) -> None:
        """Stop now: cut off the command (or bot reply) in progress, refuse the queued ones.

        For a shutdown that cannot wait any longer. A cut-off bot reply is owned up to
        after the restart (`rooms.recovery`); queued commands were never acknowledged.
        """
        self._accepting = False
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while not self._mailbox.empty():
            item = self._mailbox.get_nowait()
            if item is not None:
                _refuse(item.reply, Unavailable("the server is shutting down", "shutting_down"))

    def _lose(self) -> None:
        """The hold is gone (another node may own the room now): stop at once.

        Every letter waiting is refused with `ActorStopped` (the registry sends it to the
        new owner). The command in progress is cut off too, unless it is writing: then it
        is seen through, its fenced writes standing only if no other node took the room.
        """
        if self.stopped or self._lost:
            return
        log.warning("room hold lost", extra={"room_id": self.room_id})
        self._lost = True
        self._accepting = False
        while not self._mailbox.empty():
            item = self._mailbox.get_nowait()
            if item is not None:
                _refuse(item.reply, ActorStopped(self.room_id))
        if self._applying:
            # Writing now: the fence decides whether its writes stand (`_handle` answers
            # its caller either way), and the consumer ends after it.
            return
        if self._current is not None:
            _refuse(self._current.reply, ActorStopped(self.room_id))
        if self._task is not None:
            self._task.cancel()

    async def _consume(self, on_stop: Callable[[RoomActor], None], idle_seconds: float) -> None:
        try:
            while True:
                try:
                    item = await asyncio.wait_for(self._mailbox.get(), idle_seconds)
                except TimeoutError:
                    # Checked and marked without an await in between, so no command can
                    # slip into a mailbox nobody reads.
                    if self._mailbox.empty():
                        self._accepting = False
                        return
                    continue
                if item is None:
                    if self._mailbox.empty():
                        return
                    continue
                self._busy, self._current = True, item
                try:
                    await self._handle(item)
                finally:
                    self._busy, self._current = False, None
                if self._lost:
                    return
        finally:
            self._accepting = False
            on_stop(self)

    async def _handle(self, letter: _Letter[R]) -> None:
        self._applying = True
        try:
            outcome = await letter.command.apply(self)
        except LeaseLost:
            # Another node holds the room: nothing was written, the caller retries there.
            _refuse(letter.reply, ActorStopped(self.room_id))
            self._lose()
            return
        except SupportflowError as error:
            _refuse(letter.reply, error)
            return
        except Exception as error:  # one bad command must not kill the room
            log.exception("room command failed", extra={"room_id": self.room_id})
            _refuse(letter.reply, error)
            return
        finally:
            self._applying = False
        _answer(letter.reply, outcome.result)
        if self._lost:
            return  # the hold went while it wrote: no follow-up for a room held elsewhere
        if outcome.follow_up is not None:
            try:
                await outcome.follow_up()
            except LeaseLost:
                self._lose()
            except Exception:
                log.exception("room follow-up failed", extra={"room_id": self.room_id})

    # The command handlers (`RoomHandlers`): only `_handle` calls them, through `apply`.
    # A lifecycle command is one `fire()`: the row's guards, persist and announce steps
    # (`rooms.lifecycle`, `rooms.steps`) run in the machine's order.

    async def handle_post_message(self, command: PostMessage) -> Outcome[StoredMessage]:
        by_agent = command.sender_type == "agent"
        trigger = Trigger.AGENT_MESSAGE if by_agent else Trigger.USER_MESSAGE
        firing = await self.lifecycle.fire(trigger, actor_id=command.sender_id, command=command)
        posted = firing.posted
        assert posted is not None
        if not by_agent and not posted.duplicate and self.state is RoomState.BOT_ACTIVE:
            return Outcome(posted, follow_up=lambda: self._bot_turn(posted))
        return Outcome(posted)

    async def handle_escalate(self, command: Escalate) -> Outcome[StateChange]:
        cause = EscalationCause(command.reasons)
        return Outcome((await self.lifecycle.fire(Trigger.ESCALATE, command=cause)).change)

    async def handle_claim(self, command: Claim) -> Outcome[StateChange]:
        claims = self._effects.metrics.claims
        try:
            firing = await self.lifecycle.fire(
                Trigger.CLAIM, actor_id=command.agent_id, command=command
            )
        except SupportflowError:
            claims.labels(outcome="lost").inc()
            raise
        claims.labels(outcome="won").inc()
        return Outcome(firing.change)

    async def handle_release(self, command: Release) -> Outcome[StateChange]:
        firing = await self.lifecycle.fire(Trigger.RELEASE, actor_id=command.agent_id)
        return Outcome(firing.change)

    async def handle_transfer(self, command: Transfer) -> Outcome[StateChange]:
        firing = await self.lifecycle.fire(
            Trigger.TRANSFER,
            actor_id=command.agent_id,
            by_agent=True,
            target_id=command.target_id,
            command=command,
        )
        return Outcome(firing.change)

    async def handle_transfer_to_team(self, command: TransferToTeam) -> Outcome[StateChange]:
        firing = await self.lifecycle.fire(
            Trigger.TRANSFER_TO_TEAM, actor_id=command.agent_id, by_agent=True, command=command
        )
        return Outcome(firing.change)

    async def handle_agent_lost(self, command: AgentLost) -> Outcome[StateChange | None]:
        # The agent may have come back, released or closed meanwhile: then nothing to do.
        if self.lifecycle.agent_id != command.agent_id:
            return Outcome(None)
        cause = EscalationCause(("agent_lost",))
        return Outcome((await self.lifecycle.fire(Trigger.AGENT_LOST, command=cause)).change)

    async def handle_close(self, command: Close) -> Outcome[StateChange]:
        firing = await self.lifecycle.fire(
            Trigger.CLOSE, actor_id=command.sender_id, by_agent=command.sender_type == "agent"
        )
        return Outcome(firing.change)

    async def handle_add_note(self, command: AddNote) -> Outcome[MessageRecord]:
        # A note is not a lifecycle event (no machine row): any open room takes one.
        self._refuse_if_closed()
        return Outcome(await self._effects.add_note(self.room_id, command))

    async def handle_leave_contact(self, command: LeaveContact) -> Outcome[MessageRecord]:
        self._refuse_if_closed()
        return Outcome(await self._effects.record_contact(self.room_id, command.email))

    async def handle_rate_chat(self, command: RateChat) -> Outcome[RatingRecord]:
        # The store refuses an open room (`room_not_closed`) and a second rating.
        return Outcome(await self._effects.rate(self.room_id, command.score, command.comment))

    async def handle_give_feedback(self, command: GiveFeedback) -> Outcome[FeedbackGiven]:
        self._refuse_if_closed()
        await self._effects.record_feedback(self.room_id, command.seq, command.verdict)
        # Down while the bot holds the room hands it over; otherwise the vote is all.
        escalated = command.verdict == "down" and Trigger.ESCALATE in self.lifecycle.allowed()
        if escalated:
            cause = EscalationCause((command.unhelpful_reason,))
            await self.lifecycle.fire(Trigger.ESCALATE, command=cause)
        return Outcome(FeedbackGiven(self.room_id, command.seq, command.verdict, escalated))

    async def handle_realert(self, command: ReAlert) -> Outcome[bool]:
        # Only a room still in the queue is re-alerted; claimed or closed meanwhile: done.
        if self.state is not RoomState.ESCALATING:
            return Outcome(False)
        return Outcome(await self._effects.realert(self.session_id, command.office_open))

    async def handle_widen_alert(self, command: WidenAlert) -> Outcome[bool]:
        # Only a room still in the queue is widened; claimed or closed meanwhile: done.
        if self.state is not RoomState.ESCALATING:
            return Outcome(False)
        return Outcome(await self._effects.widen_alert(self.session_id))

    async def handle_own_up_to_interruption(self, command: OwnUpToInterruption) -> Outcome[bool]:
        # A customer message last is a lost reply only where the bot was to answer it.
        if self.state is not RoomState.BOT_ACTIVE:
            return Outcome(False)
        return Outcome(await self._effects.own_up_to_interruption(self.room_id))

    async def _bot_turn(self, posted: StoredMessage) -> None:
        draft = await self._effects.draft_reply(
            self.room_id, self.session_id, posted, self.steps.exchange_count
        )
        reply = draft.reply
        # The reply runs in the room's turn, so the room is still the bot's; asked anyway,
        # as every trigger is: the machine's table says when a room may escalate.
        if reply.escalate and Trigger.ESCALATE in self.lifecycle.allowed():
            cause = EscalationCause(reply.reasons or ("low_confidence",), hand_over=draft)
            await self.lifecycle.fire(Trigger.ESCALATE, command=cause)
        else:
            await self._effects.post_reply(self.room_id, draft)

    def _refuse_if_closed(self) -> None:
        if self.state is FINAL_STATE:
            raise Conflict(f"room {self.room_id} is closed", "room_closed")


def _answer(future: asyncio.Future[R], result: R) -> None:
    # The caller may have given up (a cancelled request); its future is then already done.
    if not future.done():
        future.set_result(result)


def _refuse(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
