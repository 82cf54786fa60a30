"""A room's lifecycle: its states and transitions as plain data, and the machine that runs them.

`STATES` and `TRANSITIONS` are the one definition of the lifecycle. `RoomLifecycle` builds
its `transitions` AsyncMachine from them and `supportflow.rooms.statechart` draws the
diagrams from them, so the committed picture cannot disagree with what rooms do.

The machine is the one place a transition is decided: `check()` asks it (`may_trigger`,
its guards included) before anything is stored, `fire()` runs it after. The store's writes
take the row's source states from here (`TransitionSpec.sources`) rather than spelling
states in SQL; the one rule only the store can judge, an agent's capacity, is checked in
the claim's transaction and drawn as such (`store_checks`), not posed as a machine guard.

The machine decides and records the state, nothing else: it has no side-effect callbacks,
because in `transitions` callbacks listed together run concurrently (`asyncio.gather`) and
a new event on the same model cancels a running transition's callbacks. The room actor
sequences persistence and announcements itself around `check()` and `fire()`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from transitions.extensions.asyncio import AsyncMachine

from supportflow.errors import Conflict, Forbidden, SupportflowError
from supportflow.store import RoomState

if TYPE_CHECKING:
    from transitions.extensions.asyncio import AsyncTransitionConfigDict


class Trigger(StrEnum):
    USER_MESSAGE = "user_message"
    ESCALATE = "escalate"
    CLAIM = "claim"
    AGENT_MESSAGE = "agent_message"
    RELEASE = "release"
    AGENT_LOST = "agent_lost"
    TRANSFER = "transfer"
    TRANSFER_TO_TEAM = "transfer_to_team"
    CLOSE = "close"


@dataclass(frozen=True)
class TransitionSpec:
    """One row of the lifecycle table: `trigger` takes a room from any of `sources` to `dest`.

    `guards` name guard methods of `RoomLifecycle`: the machine's conditions. `store_checks`
    name rules the store's write checks in the same transaction (they need other rows, such
    as an agent's load); they are drawn, not run by the machine. A row whose only source is
    its destination is internal (the room stays put). `label` names, for the diagram, the
    effect the room actor performs; the machine performs none.
    """

    trigger: Trigger
    sources: tuple[RoomState, ...]
    dest: RoomState
    guards: tuple[str, ...] = ()
    label: str = ""
    store_checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.sources:
            raise ValueError(f"{self.trigger} row has no source state")
        if self.dest in self.sources and not self.internal:
            raise ValueError(f"{self.trigger} row mixes an internal and an external transition")

    @property
    def internal(self) -> bool:
        """True when the room stays in its state (a message, not a lifecycle change)."""
        return self.sources == (self.dest,)


STATES: tuple[RoomState, ...] = tuple(RoomState)
INITIAL_STATE = RoomState.BOT_ACTIVE
FINAL_STATE = RoomState.CLOSED

_S = RoomState
TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec(Trigger.USER_MESSAGE, (_S.BOT_ACTIVE,), _S.BOT_ACTIVE, label="bot replies"),
    TransitionSpec(Trigger.USER_MESSAGE, (_S.ESCALATING,), _S.ESCALATING, label="relay"),
    TransitionSpec(Trigger.USER_MESSAGE, (_S.AGENT_ASSIGNED,), _S.AGENT_ASSIGNED, label="relay"),
    TransitionSpec(Trigger.ESCALATE, (_S.BOT_ACTIVE,), _S.ESCALATING, label="alert agents"),
    TransitionSpec(
        Trigger.CLAIM,
        (_S.ESCALATING,),
        _S.AGENT_ASSIGNED,
        label="agent joins",
        store_checks=("has_capacity",),  # store.claim_room: at_capacity
    ),
    TransitionSpec(
        Trigger.AGENT_MESSAGE,
        (_S.AGENT_ASSIGNED,),
        _S.AGENT_ASSIGNED,
        guards=("is_assigned_agent",),
        label="relay",
    ),
    TransitionSpec(
        Trigger.RELEASE,
        (_S.AGENT_ASSIGNED,),
        _S.BOT_ACTIVE,
        guards=("is_assigned_agent",),
        label="hand back",
    ),
    TransitionSpec(Trigger.AGENT_LOST, (_S.AGENT_ASSIGNED,), _S.ESCALATING, label="re-alert"),
    # The room stays with an agent; the agent changes (and the old one leaves the room).
    TransitionSpec(
        Trigger.TRANSFER,
        (_S.AGENT_ASSIGNED,),
        _S.AGENT_ASSIGNED,
        guards=("is_assigned_agent", "is_another_agent"),
        label="new agent joins",
        # store.transfer_room: agent_unavailable, at_capacity
        store_checks=("is_available", "has_capacity"),
    ),
    # Back to the queue, for one team's agents first (issue 25); the agent leaves the room.
    TransitionSpec(
        Trigger.TRANSFER_TO_TEAM,
        (_S.AGENT_ASSIGNED,),
        _S.ESCALATING,
        guards=("is_assigned_agent",),
        label="alert the team",
    ),
    TransitionSpec(
        Trigger.CLOSE,
        (_S.BOT_ACTIVE, _S.ESCALATING, _S.AGENT_ASSIGNED),
        _S.CLOSED,
        guards=("is_not_another_agent",),
        label="refuse all",
    ),
)
del _S


# At most one row per (trigger, source), a test pins it: with two, transitions would try
# them in order and a failing guard could silently fall through to the other row.
_ROWS = {(spec.trigger, source): spec for spec in TRANSITIONS for source in spec.sources}

# How each guard's failure reaches the client: error class, code, message ({trigger}).
_REFUSALS: dict[str, tuple[type[SupportflowError], str, str]] = {
    "is_assigned_agent": (Forbidden, "not_assigned_agent", "only the assigned agent may {trigger}"),
    "is_another_agent": (Conflict, "same_agent", "a room cannot be transferred to its own agent"),
    "is_not_another_agent": (
        Forbidden,
        "not_assigned_agent",
        "only the agent holding this room may {trigger} it",
    ),
}


def _machine_transitions() -> list[AsyncTransitionConfigDict]:
    # Internal rows get dest=None, not dest=source: a message is not a lifecycle change, so
    # the state is not exited and re-entered, and no on_enter_* hook could run per message.
    return [
        {
            "trigger": spec.trigger.value,
            "source": [source.value for source in spec.sources],
            "dest": None if spec.internal else spec.dest.value,
            "conditions": list(spec.guards),
        }
        for spec in TRANSITIONS
    ]


@dataclass(frozen=True)
class TransitionResult:
    """What one `fire()` did: the room went from `previous` to `state`; `agent_id` is now held."""

    trigger: Trigger
    previous: RoomState
    state: RoomState
    agent_id: str | None

    @property
    def changed(self) -> bool:
        return self.previous != self.state


class RoomLifecycle:
    """The model a `transitions` AsyncMachine (queued) drives for one room.

    Use only `check()`, `fire()`, `allowed()`, `current`, `room_id` and `agent_id`. The
    machine also binds a coroutine per trigger (`claim()`, `close()`, ...) and `is_*` /
    `may_*` helpers onto this object; calling those bypasses the error mapping and the
    `agent_id` bookkeeping. `agent_id` is set exactly while the room is `agent_assigned`.
    """

    state: str  # written by the machine; read it through `current`
    may_trigger: Callable[..., Awaitable[bool]]  # bound by the machine

    def __init__(
        self, room_id: str, state: RoomState = RoomState.BOT_ACTIVE, agent_id: str | None = None
    ) -> None:
        if (state is RoomState.AGENT_ASSIGNED) != (agent_id is not None):
            raise ValueError(
                f"room {room_id}: an agent_id is held exactly in agent_assigned, "
                f"got state={state} agent_id={agent_id!r}"
            )
        self.room_id = room_id
        self.agent_id = agent_id
        # queued=True orders events raised inside callbacks, but across tasks a second event
        # is reported done (True) before it runs and its error reaches whichever caller drains
        # the queue. The lock makes each fire() run alone, so every caller gets its own outcome.
        self._lock = asyncio.Lock()
        self._machine = AsyncMachine(
            model=self,
            states=[s.value for s in STATES],
            transitions=_machine_transitions(),
            initial=state.value,
            queued=True,
            send_event=False,  # guards receive fire()'s keyword arguments directly
            auto_transitions=False,
            ignore_invalid_triggers=False,
        )

    @property
    def current(self) -> RoomState:
        return RoomState(self.state)

    def allowed(self) -> tuple[Trigger, ...]:
        """Triggers valid from the current state, ignoring guards, in `Trigger` order."""
        return tuple(t for t in Trigger if (t, self.current) in _ROWS)

    async def check(
        self,
        trigger: Trigger,
        *,
        actor_id: str | None = None,
        by_agent: bool = False,
        target_id: str | None = None,
    ) -> TransitionSpec:
        """Dry run: the row `trigger` would take, as the machine decides it (guards included),
        or raise exactly what fire() would raise.

        Changes nothing. Raises Conflict `room_closed`, Conflict `invalid_transition`, then the
        first failing guard's error (Forbidden `not_assigned_agent`). `by_agent` says the
        actor is an agent (any agent may message or close only a room it holds). A claim without
        `actor_id` is a programming error (ValueError). The row's `sources` are the states
        the store's write must find the room in.
        """
        state = self.current
        if state is FINAL_STATE:
            raise Conflict(f"room {self.room_id} is closed", code="room_closed")
        if trigger is Trigger.CLAIM and actor_id is None:
            raise ValueError("a claim needs the claiming agent's id")
        if trigger is Trigger.TRANSFER and target_id is None:
            raise ValueError("a transfer needs the receiving agent's id")
        guard_args = {"actor_id": actor_id, "by_agent": by_agent, "target_id": target_id}
        if await self.may_trigger(trigger.value, **guard_args):
            return _ROWS[(trigger, state)]
        spec = _ROWS.get((trigger, state))
        if spec is None:
            raise Conflict(f"cannot {trigger} a room that is {state}", code="invalid_transition")
        # The machine said no to a valid trigger: name the guard that refused, for the client.
        refused = next(guard for guard in spec.guards if not getattr(self, guard)(**guard_args))
        error, code, message = _REFUSALS[refused]
        raise error(message.format(trigger=trigger), code=code)

    async def fire(
        self,
        trigger: Trigger,
        *,
        actor_id: str | None = None,
        by_agent: bool = False,
        target_id: str | None = None,
    ) -> TransitionResult:
        """Run `trigger` through the AsyncMachine; raises as check() does, changing nothing then.

        Concurrent calls run one at a time, in call order. A cancelled call leaves the room
        unchanged and re-raises CancelledError.
        """
        async with self._lock:
            previous = self.current
            guard_args = {"actor_id": actor_id, "by_agent": by_agent, "target_id": target_id}
            spec = await self.check(
                trigger, actor_id=actor_id, by_agent=by_agent, target_id=target_id
            )
            dest = spec.dest
            event = self._machine.events[trigger.value]
            # Queued, the machine answers True even when a guard fails and False only when it
            # swallowed a cancellation: check() above decides, and the result is verified.
            ran = await event.trigger(self, **guard_args)
            if not ran and _cancelling():
                raise asyncio.CancelledError
            if not ran or self.current is not dest:
                raise RuntimeError(
                    f"machine disagrees with TRANSITIONS: {trigger} from {previous} "
                    f"should reach {dest}, room is {self.current}"
                )
            if trigger is Trigger.CLAIM:
                self.agent_id = actor_id
            elif trigger is Trigger.TRANSFER:
                self.agent_id = target_id
            elif dest is not RoomState.AGENT_ASSIGNED:
                self.agent_id = None
            return TransitionResult(trigger, previous, dest, self.agent_id)

    # Guards. The machine calls them with fire()'s keyword arguments (send_event=False).

    def is_assigned_agent(
        self,
        *,
        actor_id: str | None = None,
        by_agent: bool = False,
        target_id: str | None = None,
    ) -> bool:
        """Guard: the actor is the agent holding this room."""
        return actor_id is not None and actor_id == self.agent_id

    def is_another_agent(
        self,
        *,
        actor_id: str | None = None,
        by_agent: bool = False,
        target_id: str | None = None,
    ) -> bool:
        """Guard: a transfer's receiving agent is not the one holding the room."""
        return target_id is not None and target_id != self.agent_id

    def is_not_another_agent(
        self,
        *,
        actor_id: str | None = None,
        by_agent: bool = False,
        target_id: str | None = None,
    ) -> bool:
        """Guard: the actor is not an agent (the customer, the admin), or holds this room."""
        return not by_agent or self.is_assigned_agent(actor_id=actor_id)

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
    "RoomLifecycle",
    "RoomState",
    "TransitionResult",
    "TransitionSpec",
    "Trigger",
]
