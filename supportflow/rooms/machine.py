"""`RoomLifecycle`: the `transitions` AsyncMachine that runs one room's lifecycle table.

The rows (`rooms.lifecycle.TRANSITIONS`) go to the machine as they are: each row's guards
become its conditions, its persist step its `before` callback, its announce step its
`after` callback. `transitions` runs a transition in that order (conditions, `before`, the
state change, `after`), and an exception in `before` propagates before the state is set,
so a refused write leaves the room where it was. Each list holds one callable: callbacks
listed together run concurrently (`asyncio.gather`), so order lives inside a step.

The room's mailbox is the one lock: its actor fires one trigger at a time. The machine is
not queued, and a second `fire()` while one runs is a programming error (RuntimeError),
because `transitions` would cancel the running transition's callbacks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from transitions.extensions.asyncio import AsyncMachine

from supportflow.rooms.commands import StateChange
from supportflow.rooms.lifecycle import (
    FINAL_STATE,
    INITIAL_STATE,
    ROWS,
    STATES,
    TRANSITIONS,
    RoomState,
    TransitionSpec,
    Trigger,
    refusal,
)
from supportflow.store import EscalationRecord, StoredMessage

if TYPE_CHECKING:
    from transitions.extensions.asyncio import AsyncTransitionConfigDict

Step = Callable[["Firing"], Coroutine[Any, Any, None]]


@dataclass
class Firing:
    """One trigger on its way through the machine: what the guards read, what the steps write.

    The caller gives the trigger, who asks (`actor_id`; `by_agent` when an agent does; a
    transfer's `target_id`) and what the steps act on (`command`). `fire()` fills the rest;
    the persist step records what it stored (`escalation`, `posted`).
    """

    trigger: Trigger
    actor_id: str | None = None
    by_agent: bool = False
    target_id: str | None = None
    command: object = None
    room_id: str = ""
    sources: tuple[RoomState, ...] = ()  # the row's: the states the store must find
    previous: RoomState = INITIAL_STATE
    state: RoomState = INITIAL_STATE
    agent_id: str | None = None  # who holds the room once the transition is done
    escalation: EscalationRecord | None = None
    posted: StoredMessage | None = None
    refused_by: str | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        return self.previous != self.state

    @property
    def change(self) -> StateChange:
        return StateChange(self.room_id, self.state, self.previous, self.agent_id, self.escalation)


def _quiet_handled_errors(record: logging.LogRecord) -> bool:
    # transitions logs ERROR for any exception raised in a callback, then re-raises it to
    # fire()'s caller, which refuses the command or logs what is unexpected: say it once.
    return not str(record.msg).startswith("%sException was raised while processing")


logging.getLogger("transitions.extensions.asyncio").addFilter(_quiet_handled_errors)


class RoomLifecycle:
    """The model a `transitions` AsyncMachine drives for one room.

    Use only `fire()`, `allowed()`, `current`, `room_id` and `agent_id`. The machine also
    binds a coroutine per trigger (`claim()`, `close()`, ...) and `is_*` / `may_*` helpers
    onto this object; calling those bypasses the refusals and the `agent_id` bookkeeping.
    `agent_id` is set exactly while the room is `agent_assigned`. `steps` holds the methods
    the rows name (`rooms.steps.RoomSteps`); without it the machine only keeps the state.
    """

    state: str  # written by the machine; read it through `current`

    def __init__(
        self,
        room_id: str,
        state: RoomState = INITIAL_STATE,
        agent_id: str | None = None,
        steps: object | None = None,
    ) -> None:
        if (state is RoomState.AGENT_ASSIGNED) != (agent_id is not None):
            raise ValueError(
                f"room {room_id}: an agent_id is held exactly in agent_assigned, "
                f"got state={state} agent_id={agent_id!r}"
            )
        self.room_id = room_id
        self.agent_id = agent_id
        self._steps = steps
        self._firing = False
        self._machine = AsyncMachine(
            model=self,
            states=[s.value for s in STATES],
            transitions=[self._machine_row(spec) for spec in TRANSITIONS],
            initial=state.value,
            send_event=False,  # every callback receives the Firing fire() passes
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    @property
    def current(self) -> RoomState:
        return RoomState(self.state)

    def allowed(self) -> tuple[Trigger, ...]:
        """Triggers valid from the current state, ignoring guards, in `Trigger` order."""
        return tuple(t for t in Trigger if (t, self.current) in ROWS)

    async def fire(
        self,
        trigger: Trigger,
        *,
        actor_id: str | None = None,
        by_agent: bool = False,
        target_id: str | None = None,
        command: object = None,
    ) -> Firing:
        """Run `trigger`'s row: guards, persist step, state change, announce step.

        Raises the row's refusal (`REFUSALS`: `room_closed`, `invalid_transition`,
        `already_claimed`, the failing guard's code) or the persist step's error, the room
        unchanged then; an error from the announce step comes after the change. A claim
        without `actor_id`, a transfer without `target_id` are programming errors
        (ValueError). A cancelled call before the change leaves the room unchanged.
        """
        if self._firing:
            raise RuntimeError(f"room {self.room_id}: fire() while a transition runs")
        previous = self.current
        spec = ROWS.get((trigger, previous))
        if spec is None:
            raise refusal(trigger, previous)
        if trigger is Trigger.CLAIM and actor_id is None:
            raise ValueError("a claim needs the claiming agent's id")
        if trigger is Trigger.TRANSFER and target_id is None:
            raise ValueError("a transfer needs the receiving agent's id")
        firing = Firing(trigger, actor_id, by_agent, target_id, command)
        firing.room_id, firing.sources = self.room_id, spec.sources
        firing.previous, firing.state, firing.agent_id = previous, spec.dest, self.agent_id
        self._firing = True
        try:
            ran = await self._machine.events[trigger.value].trigger(self, firing)
        finally:
            self._firing = False
        if not ran:
            if firing.refused_by is not None:
                raise refusal(trigger, previous, firing.refused_by)
            if _cancelling():  # transitions answers a cancelled transition with False
                raise asyncio.CancelledError
        if not ran or self.current is not spec.dest:
            raise RuntimeError(
                f"machine disagrees with TRANSITIONS: {trigger} from {previous} "
                f"should reach {spec.dest}, room is {self.current}"
            )
        return firing

    def _machine_row(self, spec: TransitionSpec) -> AsyncTransitionConfigDict:
        # Internal rows get dest=None, not dest=source: a message is not a lifecycle change, so
        # the state is not exited and re-entered, and no on_enter_* hook could run per message.
        persist = self._step(spec.before)
        return {
            "trigger": spec.trigger.value,
            "source": [source.value for source in spec.sources],
            "dest": None if spec.internal else spec.dest.value,
            "conditions": [self._guards(spec)] if spec.guards else [],
            "before": [persist] if persist is not None else [],
            "after": [self._settle_then(self._step(spec.after))],
        }

    def _guards(self, spec: TransitionSpec) -> Callable[[Firing], bool]:
        """The row's guards as one condition, tried in order; the first to refuse is named."""

        def passes(firing: Firing) -> bool:
            for guard in spec.guards:
                if not getattr(self, guard)(firing):
                    firing.refused_by = guard
                    return False
            return True

        return passes

    def _step(self, name: str) -> Step | None:
        if self._steps is None:
            return None
        step: Step | None = getattr(self._steps, name, None)
        if step is None:
            raise TypeError(f"{type(self._steps).__name__} has no step {name!r}")
        return step

    def _settle_then(self, announce: Step | None) -> Step:
        """The row's `after`: record who holds the room now, then announce."""

        async def after(firing: Firing) -> None:
            if firing.trigger is Trigger.CLAIM:
                self.agent_id = firing.actor_id
            elif firing.trigger is Trigger.TRANSFER:
                self.agent_id = firing.target_id
            elif self.current is not RoomState.AGENT_ASSIGNED:
                self.agent_id = None
            firing.agent_id = self.agent_id
            if announce is not None:
                await announce(firing)

        return after

    # Guards: the machine calls them with the Firing (send_event=False).

    def is_assigned_agent(self, firing: Firing) -> bool:
        """Guard: the actor is the agent holding this room."""
        return firing.actor_id is not None and firing.actor_id == self.agent_id

    def is_another_agent(self, firing: Firing) -> bool:
        """Guard: a transfer's receiving agent is not the one holding the room."""
        return firing.target_id is not None and firing.target_id != self.agent_id

    def is_not_another_agent(self, firing: Firing) -> bool:
        """Guard: the actor is not an agent (the customer, the admin), or holds this room."""
        return not firing.by_agent or self.is_assigned_agent(firing)

    def __repr__(self) -> str:
        return f"RoomLifecycle({self.room_id!r}, {self.current}, agent_id={self.agent_id!r})"


def _cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


__all__ = [
    "FINAL_STATE",
    "INITIAL_STATE",
    "STATES",
    "TRANSITIONS",
    "Firing",
    "RoomLifecycle",
    "RoomState",
    "TransitionSpec",
    "Trigger",
]
