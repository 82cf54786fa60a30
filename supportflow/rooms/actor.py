"""`RoomActor`: one chat room, one mailbox, one consumer task, one state machine.

Every change to a room goes through its mailbox, so a room never handles two commands at
once and its seq, state and escalations stay consistent without locks. Each command is
handled in the same order: check the transition, store it, move the machine, then
announce. The caller's future is answered as soon as the change is stored; slow follow-up
work (the bot's reply) runs after that, still inside the room's turn.

In a cluster the actor runs under a `RoomHold` (a lease): if the hold is lost, or the
store refuses a write because another node took the room (`LeaseLost`), the actor stops at
once and refuses its mail with `ActorStopped`, so every caller retries through the owner.
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
    Outcome,
    OwnUpToInterruption,
    PostMessage,
    ReAlert,
    Release,
    StateChange,
    Transfer,
    TransferToTeam,
    WidenAlert,
)
from supportflow.rooms.effects import DraftReply, RoomEffects
from supportflow.rooms.machine import RoomLifecycle, RoomState, Trigger
from supportflow.rooms.placement import LocalPlacement, RoomHold
from supportflow.store import MessageRecord, SessionRecord, StoredMessage

log = logging.getLogger(__name__)

# The reason an escalation made by a transfer to a team records.
TRANSFERRED = "transferred"
CLOSING_MESSAGE = "This chat is closed. Thank you! How did we do? Rate this chat from 1 to 5."

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
        self.exchange_count = session.exchange_count
        self.lifecycle = RoomLifecycle(session.room_id, session.status, session.agent_id)
        self._effects = effects
        self._mailbox: asyncio.Queue[_Letter[Any] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._accepting = True
        self._busy = False
        self._current: _Letter[Any] | None = None
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

        The command in progress is cut off (its writes would be refused anyway) and every
        letter is refused with `ActorStopped`: the registry sends it to the new owner.
        """
        if self.stopped:
            return
        log.warning("room hold lost", extra={"room_id": self.room_id})
        self._accepting = False
        if self._current is not None:
            _refuse(self._current.reply, ActorStopped(self.room_id))
        while not self._mailbox.empty():
            item = self._mailbox.get_nowait()
            if item is not None:
                _refuse(item.reply, ActorStopped(self.room_id))
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
        finally:
            self._accepting = False
            on_stop(self)

    async def _handle(self, letter: _Letter[R]) -> None:
        try:
            outcome = await letter.command.apply(self)
        except LeaseLost:
            self._lose()
            return
        except SupportflowError as error:
            _refuse(letter.reply, error)
            return
        except Exception as error:  # one bad command must not kill the room
            log.exception("room command failed", extra={"room_id": self.room_id})
            _refuse(letter.reply, error)
            return
        _answer(letter.reply, outcome.result)
        if outcome.follow_up is not None:
            try:
                await outcome.follow_up()
            except LeaseLost:
                self._lose()
            except Exception:
                log.exception("room follow-up failed", extra={"room_id": self.room_id})

    # The command handlers (`RoomHandlers`): only `_handle` calls them, through `apply`.

    async def handle_post_message(self, command: PostMessage) -> Outcome[StoredMessage]:
        return await self._post(command)

    async def handle_escalate(self, command: Escalate) -> Outcome[StateChange]:
        return Outcome(await self._escalate(command.reasons))

    async def handle_claim(self, command: Claim) -> Outcome[StateChange]:
        return Outcome(await self._counted_claim(command.agent_id, command.agent_name))

    async def handle_release(self, command: Release) -> Outcome[StateChange]:
        return Outcome(await self._release(command.agent_id))

    async def handle_transfer(self, command: Transfer) -> Outcome[StateChange]:
        return Outcome(await self._transfer(command))

    async def handle_transfer_to_team(self, command: TransferToTeam) -> Outcome[StateChange]:
        return Outcome(await self._transfer_to_team(command))

    async def handle_agent_lost(self, command: AgentLost) -> Outcome[StateChange | None]:
        return Outcome(await self._agent_lost(command.agent_id))

    async def handle_close(self, command: Close) -> Outcome[StateChange]:
        return Outcome(await self._close(command))

    async def handle_add_note(self, command: AddNote) -> Outcome[MessageRecord]:
        # A note is not a lifecycle event (no machine row): any open room takes one.
        if self.state is RoomState.CLOSED:
            raise Conflict(f"room {self.room_id} is closed", "room_closed")
        return Outcome(await self._effects.add_note(self.room_id, command))

    async def handle_realert(self, command: ReAlert) -> Outcome[bool]:
        return Outcome(
            await self._effects.realert(self.session_id, self.state, command.office_open)
        )

    async def handle_widen_alert(self, command: WidenAlert) -> Outcome[bool]:
        return Outcome(await self._effects.widen_alert(self.session_id, self.state))

    async def handle_own_up_to_interruption(self, command: OwnUpToInterruption) -> Outcome[bool]:
        return Outcome(await self._effects.own_up_to_interruption(self.room_id, self.state))

    async def _post(self, command: PostMessage) -> Outcome[StoredMessage]:
        trigger = Trigger.AGENT_MESSAGE if command.sender_type == "agent" else Trigger.USER_MESSAGE
        await self.lifecycle.check(trigger, actor_id=command.sender_id)
        posted = await self._effects.store_message(self.room_id, command)
        if posted.duplicate:
            return Outcome(posted)
        if trigger is Trigger.USER_MESSAGE:
            self.exchange_count += 1
        await self.lifecycle.fire(trigger, actor_id=command.sender_id)
        await self._effects.announce(posted.message)
        if command.sender_type == "user" and self.state is RoomState.BOT_ACTIVE:
            return Outcome(posted, follow_up=lambda: self._bot_turn(posted))
        return Outcome(posted)

    async def _bot_turn(self, posted: StoredMessage) -> None:
        draft = await self._effects.draft_reply(
            self.room_id, self.session_id, posted, self.exchange_count
        )
        reply = draft.reply
        if reply.escalate and self.state is RoomState.BOT_ACTIVE:
            await self._escalate(reply.reasons or ("low_confidence",), hand_over=draft)
        else:
            await self._effects.post_reply(self.room_id, draft)

    async def _escalate(
        self, reasons: tuple[str, ...], hand_over: DraftReply | None = None
    ) -> StateChange:
        """Store the escalation, alert agents at once, then the bot's hand-over reply (if
        any), the new state and the customer's place in the queue."""
        try:
            step = await self.lifecycle.check(Trigger.ESCALATE)
            escalation = await self._effects.open_escalation(
                self.room_id, reasons, step.sources, hand_over
            )
            result = await self.lifecycle.fire(Trigger.ESCALATE)
            # Alerts first: an agent is what the customer waits for; writing and sending
            # the hand-over reply would only delay them.
            await self._effects.alert_agents(escalation)
        finally:
            # Even when the escalation failed, the customer gets the bot's words.
            if hand_over is not None:
                await self._effects.post_reply(self.room_id, hand_over)
        change = StateChange(self.room_id, result.state, result.previous, None, escalation)
        await self._effects.announce_escalation(change, escalation)
        return change

    async def _counted_claim(self, agent_id: str, agent_name: str) -> StateChange:
        claims = self._effects.metrics.claims
        try:
            change = await self._claim(agent_id, agent_name)
        except SupportflowError:
            claims.labels(outcome="lost").inc()
            raise
        claims.labels(outcome="won").inc()
        return change

    async def _claim(self, agent_id: str, agent_name: str) -> StateChange:
        if self.state is RoomState.AGENT_ASSIGNED:
            raise Conflict("another agent has already claimed this room", "already_claimed")
        step = await self.lifecycle.check(Trigger.CLAIM, actor_id=agent_id)
        escalation = await self._effects.claim(self.room_id, agent_id, step.sources)
        result = await self.lifecycle.fire(Trigger.CLAIM, actor_id=agent_id)
        change = StateChange(self.room_id, result.state, result.previous, agent_id, escalation)
        await self._effects.announce_claim(change, agent_name)
        return change

    async def _release(self, agent_id: str) -> StateChange:
        step = await self.lifecycle.check(Trigger.RELEASE, actor_id=agent_id)
        await self._effects.set_state(self.room_id, step)
        result = await self.lifecycle.fire(Trigger.RELEASE, actor_id=agent_id)
        change = StateChange(self.room_id, result.state, result.previous, None)
        await self._effects.announce_change(
            change, "The agent handed this chat back to the assistant."
        )
        return change

    async def _transfer(self, command: Transfer) -> StateChange:
        step = await self.lifecycle.check(
            Trigger.TRANSFER, actor_id=command.agent_id, by_agent=True, target_id=command.target_id
        )
        await self._effects.transfer(self.room_id, command, step)
        result = await self.lifecycle.fire(
            Trigger.TRANSFER, actor_id=command.agent_id, by_agent=True, target_id=command.target_id
        )
        change = StateChange(self.room_id, result.state, result.previous, command.target_id)
        await self._effects.announce_transfer(change, self.session_id, command)
        return change

    async def _transfer_to_team(self, command: TransferToTeam) -> StateChange:
        step = await self.lifecycle.check(Trigger.TRANSFER_TO_TEAM, actor_id=command.agent_id)
        escalation = await self._effects.open_escalation(
            self.room_id, (TRANSFERRED,), step.sources, team_id=command.team_id
        )
        result = await self.lifecycle.fire(Trigger.TRANSFER_TO_TEAM, actor_id=command.agent_id)
        await self._effects.alert_agents(escalation)
        change = StateChange(self.room_id, result.state, result.previous, None, escalation)
        await self._effects.announce_team_transfer(change, escalation, command)
        return change

    async def _agent_lost(self, agent_id: str) -> StateChange | None:
        # The agent may have come back, released or closed meanwhile: then nothing to do.
        if self.state is not RoomState.AGENT_ASSIGNED or self.lifecycle.agent_id != agent_id:
            return None
        step = await self.lifecycle.check(Trigger.AGENT_LOST)
        escalation = await self._effects.open_escalation(
            self.room_id, ("agent_lost",), step.sources
        )
        result = await self.lifecycle.fire(Trigger.AGENT_LOST)
        await self._effects.alert_agents(escalation)
        change = StateChange(self.room_id, result.state, result.previous, None, escalation)
        await self._effects.announce_escalation(change, escalation)
        return change

    async def _close(self, command: Close) -> StateChange:
        by_agent = command.sender_type == "agent"
        step = await self.lifecycle.check(
            Trigger.CLOSE, actor_id=command.sender_id, by_agent=by_agent
        )
        await self._effects.set_state(self.room_id, step)
        result = await self.lifecycle.fire(
            Trigger.CLOSE, actor_id=command.sender_id, by_agent=by_agent
        )
        change = StateChange(self.room_id, result.state, result.previous, None)
        # The closing message asks the customer to rate the chat (CSAT, the `rate` event).
        await self._effects.announce_change(
            change, CLOSING_MESSAGE, {"csat_request": True, "rating_scale": [1, 5]}
        )
        return change


def _answer(future: asyncio.Future[R], result: R) -> None:
    # The caller may have given up (a cancelled request); its future is then already done.
    if not future.done():
        future.set_result(result)


def _refuse(future: asyncio.Future[Any], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)
