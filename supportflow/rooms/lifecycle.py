"""A room's lifecycle as plain data: its states, its transitions and its refusals.

`TRANSITIONS` is the one definition of what a room may do. Each row names its trigger, the
states it leaves and enters, its guards, and its two steps: `before` persists the change
(if it raises, the room stays where it was) and `after` announces it. `RoomLifecycle`
(`rooms.machine`) hands the rows to a `transitions` AsyncMachine, which runs them in its
documented order (conditions, before, state change, after); `rooms.statechart` draws the
diagrams from the same rows, so the picture cannot disagree with what rooms do.

`REFUSALS` says how a trigger that cannot run is refused, keyed by (trigger, state) and, on
a guarded row, the guard that said no. Adding a transition means one row here and its two
steps in `rooms.steps`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from supportflow.errors import Conflict, Forbidden, SupportflowError
from supportflow.store import RoomState


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

    `guards` name guard methods of `RoomLifecycle` (the machine's conditions, tried in
    order). `before` and `after` name the steps (`rooms.steps.RoomSteps`) that persist and
    announce the transition. `store_checks` name rules the store's write checks in the same
    transaction (they need other rows, such as an agent's load); they are drawn, not run by
    the machine. A row whose only source is its destination is internal (the room stays
    put). `label` says, for the diagram, what the announcement amounts to.
    """

    trigger: Trigger
    sources: tuple[RoomState, ...]
    dest: RoomState
    before: str
    after: str
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

_S, _T = RoomState, Trigger
_OPEN = (_S.BOT_ACTIVE, _S.ESCALATING, _S.AGENT_ASSIGNED)
TRANSITIONS: tuple[TransitionSpec, ...] = (
    TransitionSpec(
        _T.USER_MESSAGE,
        (_S.BOT_ACTIVE,),
        _S.BOT_ACTIVE,
        "store_message",
        "announce_message",
        label="bot replies",
    ),
    TransitionSpec(
        _T.USER_MESSAGE,
        (_S.ESCALATING,),
        _S.ESCALATING,
        "store_message",
        "announce_message",
        label="relay",
    ),
    TransitionSpec(
        _T.USER_MESSAGE,
        (_S.AGENT_ASSIGNED,),
        _S.AGENT_ASSIGNED,
        "store_message",
        "announce_message",
        label="relay",
    ),
    TransitionSpec(
        _T.ESCALATE,
        (_S.BOT_ACTIVE,),
        _S.ESCALATING,
        "store_escalation",
        "announce_escalation",
        label="alert agents",
    ),
    TransitionSpec(
        _T.CLAIM,
        (_S.ESCALATING,),
        _S.AGENT_ASSIGNED,
        "store_claim",
        "announce_claim",
        label="agent joins",
        store_checks=("has_capacity",),  # store.claim_room: at_capacity
    ),
    TransitionSpec(
        _T.AGENT_MESSAGE,
        (_S.AGENT_ASSIGNED,),
        _S.AGENT_ASSIGNED,
        "store_message",
        "announce_message",
        guards=("is_assigned_agent",),
        label="relay",
    ),
    TransitionSpec(
        _T.RELEASE,
        (_S.AGENT_ASSIGNED,),
        _S.BOT_ACTIVE,
        "store_state",
        "announce_release",
        guards=("is_assigned_agent",),
        label="hand back",
    ),
    TransitionSpec(
        _T.AGENT_LOST,
        (_S.AGENT_ASSIGNED,),
        _S.ESCALATING,
        "store_escalation",
        "announce_escalation",
        label="re-alert",
    ),
    # The room stays with an agent; the agent changes (and the old one leaves the room).
    TransitionSpec(
        _T.TRANSFER,
        (_S.AGENT_ASSIGNED,),
        _S.AGENT_ASSIGNED,
        "store_transfer",
        "announce_transfer",
        guards=("is_assigned_agent", "is_another_agent"),
        label="new agent joins",
        # store.transfer_room: agent_unavailable, at_capacity
        store_checks=("is_available", "has_capacity"),
    ),
    # Back to the queue, for one team's agents first (issue 25); the agent leaves the room.
    TransitionSpec(
        _T.TRANSFER_TO_TEAM,
        (_S.AGENT_ASSIGNED,),
        _S.ESCALATING,
        "store_team_transfer",
        "announce_team_transfer",
        guards=("is_assigned_agent",),
        label="alert the team",
    ),
    TransitionSpec(
        _T.CLOSE,
        _OPEN,
        _S.CLOSED,
        "store_state",
        "announce_close",
        guards=("is_not_another_agent",),
        label="refuse all",
    ),
)

# At most one row per (trigger, source), a test pins it: with two, transitions would try
# them in order and a failing guard could silently fall through to the other row.
ROWS = {(spec.trigger, source): spec for spec in TRANSITIONS for source in spec.sources}


@dataclass(frozen=True)
class Refusal:
    """How a trigger that cannot run reaches the client: error class, code, message."""

    error: type[SupportflowError]
    code: str
    message: str  # formatted with {trigger} and {state}

    def exception(self, trigger: Trigger, state: RoomState) -> SupportflowError:
        return self.error(self.message.format(trigger=trigger, state=state), code=self.code)


_NOT_HOLDER = Refusal(Forbidden, "not_assigned_agent", "only the assigned agent may {trigger}")
ROOM_CLOSED = Refusal(Conflict, "room_closed", "the room is closed")
INVALID = Refusal(Conflict, "invalid_transition", "cannot {trigger} a room that is {state}")

# (trigger, state, guard): the guard is None where the state has no row for the trigger.
# A closed room refuses everything with `room_closed`; any pair not listed: `INVALID`.
REFUSALS: dict[tuple[Trigger, RoomState, str | None], Refusal] = {
    **{(trigger, FINAL_STATE, None): ROOM_CLOSED for trigger in Trigger},
    (_T.CLAIM, _S.AGENT_ASSIGNED, None): Refusal(
        Conflict, "already_claimed", "another agent has already claimed this room"
    ),
    (_T.AGENT_MESSAGE, _S.AGENT_ASSIGNED, "is_assigned_agent"): _NOT_HOLDER,
    (_T.RELEASE, _S.AGENT_ASSIGNED, "is_assigned_agent"): _NOT_HOLDER,
    (_T.TRANSFER, _S.AGENT_ASSIGNED, "is_assigned_agent"): _NOT_HOLDER,
    (_T.TRANSFER_TO_TEAM, _S.AGENT_ASSIGNED, "is_assigned_agent"): _NOT_HOLDER,
    (_T.TRANSFER, _S.AGENT_ASSIGNED, "is_another_agent"): Refusal(
        Conflict, "same_agent", "a room cannot be transferred to its own agent"
    ),
    **{
        (_T.CLOSE, state, "is_not_another_agent"): Refusal(
            Forbidden, "not_assigned_agent", "only the agent holding this room may close it"
        )
        for state in _OPEN
    },
}
del _S, _T


def refusal(trigger: Trigger, state: RoomState, guard: str | None = None) -> SupportflowError:
    """The error refusing `trigger` in `state` (because `guard` said no, on a guarded row)."""
    return REFUSALS.get((trigger, state, guard), INVALID).exception(trigger, state)


__all__ = [
    "FINAL_STATE",
    "INITIAL_STATE",
    "REFUSALS",
    "ROWS",
    "STATES",
    "TRANSITIONS",
    "Refusal",
    "RoomState",
    "TransitionSpec",
    "Trigger",
    "refusal",
]
