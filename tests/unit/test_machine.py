"""The room lifecycle machine, run through the real `transitions` AsyncMachine."""

from __future__ import annotations

import asyncio
import logging

import pytest

from supportflow.errors import Conflict, Forbidden, SupportflowError
from supportflow.rooms.lifecycle import REFUSALS
from supportflow.rooms.machine import (
    STATES,
    TRANSITIONS,
    Firing,
    RoomLifecycle,
    RoomState,
    TransitionSpec,
    Trigger,
)
from supportflow.rooms.steps import RoomSteps

S, T = RoomState, Trigger
AGENT = "agent-1"
OTHER = "agent-2"
BAD = "invalid_transition"
CLOSED = "room_closed"

# Written out from the design's table rather than derived from TRANSITIONS, so a wrong row
# in the machine fails here. Every (state, trigger) pair: a resulting state or an error code.
# Fired with actor_id=AGENT (and target_id=OTHER, which only a transfer reads); a room in
# agent_assigned is held by AGENT.
EXPECTED: dict[RoomState, dict[Trigger, RoomState | str]] = {
    S.BOT_ACTIVE: {
        T.USER_MESSAGE: S.BOT_ACTIVE,
        T.ESCALATE: S.ESCALATING,
        T.CLAIM: BAD,
        T.AGENT_MESSAGE: BAD,
        T.RELEASE: BAD,
        T.AGENT_LOST: BAD,
        T.TRANSFER: BAD,
        T.TRANSFER_TO_TEAM: BAD,
        T.CLOSE: S.CLOSED,
    },
    S.ESCALATING: {
        T.USER_MESSAGE: S.ESCALATING,
        T.ESCALATE: BAD,
        T.CLAIM: S.AGENT_ASSIGNED,
        T.AGENT_MESSAGE: BAD,
        T.RELEASE: BAD,
        T.AGENT_LOST: BAD,
        T.TRANSFER: BAD,
        T.TRANSFER_TO_TEAM: BAD,
        T.CLOSE: S.CLOSED,
    },
    S.AGENT_ASSIGNED: {
        T.USER_MESSAGE: S.AGENT_ASSIGNED,
        T.ESCALATE: BAD,
        T.CLAIM: "already_claimed",
        T.AGENT_MESSAGE: S.AGENT_ASSIGNED,
        T.RELEASE: S.BOT_ACTIVE,
        T.AGENT_LOST: S.ESCALATING,
        T.TRANSFER: S.AGENT_ASSIGNED,
        T.TRANSFER_TO_TEAM: S.ESCALATING,
        T.CLOSE: S.CLOSED,
    },
    S.CLOSED: dict.fromkeys(Trigger, CLOSED),
}
CASES = [
    pytest.param(state, trigger, outcome, id=f"{state}-{trigger}")
    for state, row in EXPECTED.items()
    for trigger, outcome in row.items()
]


def room_in(state: RoomState) -> RoomLifecycle:
    return RoomLifecycle("room-1", state, AGENT if state is S.AGENT_ASSIGNED else None)


def test_the_table_covers_every_state_and_trigger() -> None:
    assert {(s, t) for s, row in EXPECTED.items() for t in row} == {
        (s, t) for s in RoomState for t in Trigger
    }


@pytest.mark.parametrize(("state", "trigger", "outcome"), CASES)
async def test_fire_from_every_state(
    state: RoomState, trigger: Trigger, outcome: RoomState | str
) -> None:
    room = room_in(state)
    if isinstance(outcome, RoomState):
        result = await room.fire(trigger, actor_id=AGENT, target_id=OTHER)
        assert (result.trigger, result.previous, result.state) == (trigger, state, outcome)
        assert room.current is outcome
        assert result.changed is (state is not outcome)
    else:
        with pytest.raises(Conflict) as refused:
            await room.fire(trigger, actor_id=AGENT, target_id=OTHER)
        assert refused.value.code == outcome
        assert room.current is state


async def test_invalid_transition_names_the_trigger_and_state() -> None:
    with pytest.raises(Conflict, match="cannot claim a room that is bot_active"):
        await room_in(S.BOT_ACTIVE).fire(T.CLAIM, actor_id=AGENT)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (S.BOT_ACTIVE, (T.USER_MESSAGE, T.ESCALATE, T.CLOSE)),
        (S.ESCALATING, (T.USER_MESSAGE, T.CLAIM, T.CLOSE)),
        (
            S.AGENT_ASSIGNED,
            (
                T.USER_MESSAGE,
                T.AGENT_MESSAGE,
                T.RELEASE,
                T.AGENT_LOST,
                T.TRANSFER,
                T.TRANSFER_TO_TEAM,
                T.CLOSE,
            ),
        ),
        (S.CLOSED, ()),
    ],
)
def test_allowed_lists_the_valid_triggers(state: RoomState, expected: tuple[Trigger, ...]) -> None:
    assert room_in(state).allowed() == expected


# Guards: each refusal raises its code from REFUSALS, and changes nothing.

GUARD_CASES = [
    pytest.param(S.AGENT_ASSIGNED, T.AGENT_MESSAGE, OTHER, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.AGENT_MESSAGE, None, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.RELEASE, OTHER, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.RELEASE, None, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.TRANSFER_TO_TEAM, OTHER, True, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.CLOSE, OTHER, True, "not_assigned_agent"),
    pytest.param(S.ESCALATING, T.CLOSE, AGENT, True, "not_assigned_agent"),
]


@pytest.mark.parametrize(("state", "trigger", "actor", "by_agent", "code"), GUARD_CASES)
async def test_guard_refusals(
    state: RoomState, trigger: Trigger, actor: str | None, by_agent: bool, code: str
) -> None:
    room = room_in(state)
    before = (room.current, room.agent_id)
    with pytest.raises(Forbidden) as refused:
        await room.fire(trigger, actor_id=actor, by_agent=by_agent)
    assert refused.value.code == code
    assert (room.current, room.agent_id) == before


async def test_a_transfer_hands_the_room_to_the_target() -> None:
    room = room_in(S.AGENT_ASSIGNED)
    result = await room.fire(T.TRANSFER, actor_id=AGENT, by_agent=True, target_id=OTHER)
    assert (result.previous, result.state, result.agent_id) == (
        S.AGENT_ASSIGNED,
        S.AGENT_ASSIGNED,
        OTHER,
    )
    assert room.agent_id == OTHER and not result.changed
    # The old holder may no longer talk; the new one may.
    with pytest.raises(Forbidden):
        await room.fire(T.AGENT_MESSAGE, actor_id=AGENT)
    await room.fire(T.AGENT_MESSAGE, actor_id=OTHER)


@pytest.mark.parametrize(
    ("actor", "target", "error", "code"),
    [
        (OTHER, "agent-3", Forbidden, "not_assigned_agent"),  # only the holder transfers
        (AGENT, AGENT, Conflict, "same_agent"),
    ],
)
async def test_transfer_refusals_change_nothing(
    actor: str, target: str, error: type[SupportflowError], code: str
) -> None:
    room = room_in(S.AGENT_ASSIGNED)
    with pytest.raises(error) as refused:
        await room.fire(T.TRANSFER, actor_id=actor, by_agent=True, target_id=target)
    assert refused.value.code == code
    assert (room.current, room.agent_id) == (S.AGENT_ASSIGNED, AGENT)


async def test_a_transfer_to_a_team_queues_the_room_and_frees_the_agent() -> None:
    room = room_in(S.AGENT_ASSIGNED)
    result = await room.fire(T.TRANSFER_TO_TEAM, actor_id=AGENT, by_agent=True)
    assert (result.previous, result.state, result.agent_id) == (
        S.AGENT_ASSIGNED,
        S.ESCALATING,
        None,
    )
    assert room.agent_id is None and result.changed
    # Back in the queue: any agent may claim it, the old holder included.
    await room.fire(T.CLAIM, actor_id=OTHER)
    assert room.agent_id == OTHER


async def test_a_transfer_without_a_target_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="receiving agent"):
        await room_in(S.AGENT_ASSIGNED).fire(T.TRANSFER, actor_id=AGENT)


@pytest.mark.parametrize(
    ("state", "actor", "by_agent"),
    [
        (S.AGENT_ASSIGNED, AGENT, True),  # the holder
        (S.AGENT_ASSIGNED, "alice", False),  # the customer
        (S.ESCALATING, "admin", False),
        (S.BOT_ACTIVE, "alice", False),
    ],
)
async def test_close_is_allowed_to_all_but_another_agent(
    state: RoomState, actor: str, by_agent: bool
) -> None:
    room = room_in(state)
    result = await room.fire(T.CLOSE, actor_id=actor, by_agent=by_agent)
    assert result.state is S.CLOSED


async def test_the_machine_decides_through_its_guards(monkeypatch: pytest.MonkeyPatch) -> None:
    # fire() asks the machine, not a copy of the rules: a guard that says no is what refuses.
    monkeypatch.setattr(RoomLifecycle, "is_assigned_agent", lambda self, firing: False)
    room = room_in(S.AGENT_ASSIGNED)
    with pytest.raises(Forbidden):
        await room.fire(T.RELEASE, actor_id=AGENT)
    assert room.current is S.AGENT_ASSIGNED


async def test_claim_without_an_agent_is_a_programming_error() -> None:
    room = room_in(S.ESCALATING)
    with pytest.raises(ValueError, match="claiming agent"):
        await room.fire(T.CLAIM)
    assert room.current is S.ESCALATING


async def test_closed_refuses_before_any_guard() -> None:
    room = room_in(S.CLOSED)
    with pytest.raises(Conflict) as refused:
        await room.fire(T.AGENT_MESSAGE, actor_id=OTHER, by_agent=True)
    assert refused.value.code == "room_closed"


# agent_id bookkeeping: held exactly while agent_assigned.


async def test_agent_id_follows_claim_release_and_reclaim() -> None:
    room = room_in(S.ESCALATING)
    claimed = await room.fire(T.CLAIM, actor_id=OTHER)
    assert claimed.agent_id == room.agent_id == OTHER
    spoke = await room.fire(T.AGENT_MESSAGE, actor_id=OTHER)
    heard = await room.fire(T.USER_MESSAGE)
    assert spoke.agent_id == heard.agent_id == OTHER
    assert not spoke.changed
    released = await room.fire(T.RELEASE, actor_id=OTHER)
    assert released.state is S.BOT_ACTIVE
    assert released.agent_id is None and room.agent_id is None
    await room.fire(T.ESCALATE)
    await room.fire(T.CLAIM, actor_id=AGENT)
    assert room.agent_id == AGENT


@pytest.mark.parametrize(("trigger", "dest"), [(T.AGENT_LOST, S.ESCALATING), (T.CLOSE, S.CLOSED)])
async def test_agent_id_cleared_when_the_agent_goes(trigger: Trigger, dest: RoomState) -> None:
    room = room_in(S.AGENT_ASSIGNED)
    result = await room.fire(trigger)
    assert (result.state, result.agent_id, room.agent_id) == (dest, None, None)
    with pytest.raises(SupportflowError):
        await room.fire(T.AGENT_MESSAGE, actor_id=AGENT)


# Rehydration: a room resumes in its stored state with its stored agent.


async def test_rehydrated_assigned_room_knows_its_agent() -> None:
    room = RoomLifecycle("room-9", S.AGENT_ASSIGNED, agent_id=OTHER)
    assert (room.room_id, room.current, room.agent_id) == ("room-9", S.AGENT_ASSIGNED, OTHER)
    with pytest.raises(Forbidden):
        await room.fire(T.RELEASE, actor_id=AGENT)
    result = await room.fire(T.RELEASE, actor_id=OTHER)
    assert result.state is S.BOT_ACTIVE


async def test_rehydrated_escalating_room_can_be_claimed() -> None:
    room = RoomLifecycle("room-9", S.ESCALATING)
    result = await room.fire(T.CLAIM, actor_id=AGENT)
    assert (result.previous, result.state, result.agent_id) == (
        S.ESCALATING,
        S.AGENT_ASSIGNED,
        AGENT,
    )


def test_new_room_starts_with_the_bot() -> None:
    room = RoomLifecycle("room-1")
    assert (room.current, room.agent_id) == (S.BOT_ACTIVE, None)


@pytest.mark.parametrize(
    ("state", "agent"), [(S.AGENT_ASSIGNED, None), (S.ESCALATING, AGENT), (S.CLOSED, AGENT)]
)
def test_rehydration_refuses_an_inconsistent_agent(state: RoomState, agent: str | None) -> None:
    with pytest.raises(ValueError, match="agent_id"):
        RoomLifecycle("room-1", state, agent)


# The steps: persist before the state changes, announce after, in the machine's order.


class Recorder:
    """Steps that note the room's state and holder when each runs; `fail` makes one raise."""

    def __init__(self, fail: str | None = None, gate: asyncio.Event | None = None) -> None:
        self.room: RoomLifecycle | None = None
        self.calls: list[tuple[str, RoomState, str | None]] = []
        self.fail = fail
        self.gate = gate

    def __getattr__(self, name: str) -> object:
        if not name.startswith(("store_", "announce_")):
            raise AttributeError(name)

        async def step(firing: Firing) -> None:
            assert self.room is not None
            self.calls.append((name, self.room.current, self.room.agent_id))
            if self.gate is not None:
                await self.gate.wait()
            if name == self.fail:
                raise Conflict("the store said no", "store_refused")

        return step


def recorded(state: RoomState, steps: Recorder) -> RoomLifecycle:
    room = RoomLifecycle("room-1", state, AGENT if state is S.AGENT_ASSIGNED else None, steps)
    steps.room = room
    return room


async def test_persist_runs_in_the_old_state_and_announce_in_the_new() -> None:
    steps = Recorder()
    room = recorded(S.ESCALATING, steps)
    firing = await room.fire(T.CLAIM, actor_id=OTHER)
    assert steps.calls == [
        ("store_claim", S.ESCALATING, None),
        ("announce_claim", S.AGENT_ASSIGNED, OTHER),  # the holder is recorded before
    ]
    assert (firing.previous, firing.state, firing.agent_id) == (S.ESCALATING, *steps.calls[1][1:])
    assert firing.sources == (S.ESCALATING,)  # what the store's write must find


async def test_a_failing_persist_step_leaves_the_room_and_announces_nothing() -> None:
    steps = Recorder(fail="store_state")
    room = recorded(S.AGENT_ASSIGNED, steps)
    with pytest.raises(Conflict, match="the store said no"):
        await room.fire(T.RELEASE, actor_id=AGENT)
    assert [name for name, *_ in steps.calls] == ["store_state"]
    assert (room.current, room.agent_id) == (S.AGENT_ASSIGNED, AGENT)
    await room.fire(T.AGENT_MESSAGE, actor_id=AGENT)  # the room still works


async def test_a_failing_step_is_not_logged_as_an_error_by_transitions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # transitions logs ERROR before re-raising; fire()'s caller handles (or logs) it.
    room = recorded(S.AGENT_ASSIGNED, Recorder(fail="store_state"))
    with caplog.at_level(logging.DEBUG, logger="transitions"), pytest.raises(Conflict):
        await room.fire(T.RELEASE, actor_id=AGENT)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_refused_trigger_runs_no_step() -> None:
    steps = Recorder()
    room = recorded(S.AGENT_ASSIGNED, steps)
    with pytest.raises(Forbidden):
        await room.fire(T.RELEASE, actor_id=OTHER)
    with pytest.raises(Conflict):
        await room.fire(T.CLAIM, actor_id=OTHER)
    assert steps.calls == []


async def test_a_failing_announce_comes_after_the_change() -> None:
    steps = Recorder(fail="announce_close")
    room = recorded(S.BOT_ACTIVE, steps)
    with pytest.raises(Conflict):
        await room.fire(T.CLOSE)
    assert room.current is S.CLOSED


async def test_the_mailbox_is_the_one_lock() -> None:
    # The machine is not queued: a second fire() while one runs is a bug, said loudly.
    gate = asyncio.Event()
    room = recorded(S.AGENT_ASSIGNED, Recorder(gate=gate))
    first = asyncio.create_task(room.fire(T.RELEASE, actor_id=AGENT))
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="while a transition runs"):
        await room.fire(T.CLOSE)
    gate.set()
    assert (await first).state is S.BOT_ACTIVE


async def test_cancelled_persist_leaves_the_room_unchanged() -> None:
    gate = asyncio.Event()
    room = recorded(S.AGENT_ASSIGNED, Recorder(gate=gate))
    task = asyncio.create_task(room.fire(T.RELEASE, actor_id=AGENT))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (room.current, room.agent_id) == (S.AGENT_ASSIGNED, AGENT)
    gate.set()
    assert (await room.fire(T.RELEASE, actor_id=AGENT)).state is S.BOT_ACTIVE


def test_every_step_a_row_names_is_a_room_step() -> None:
    names = {name for spec in TRANSITIONS for name in (spec.before, spec.after)}
    assert all(callable(getattr(RoomSteps, name, None)) for name in names)


def test_every_guard_has_its_refusal() -> None:
    for spec in TRANSITIONS:
        for source in spec.sources:
            for guard in spec.guards:
                assert (spec.trigger, source, guard) in REFUSALS, (spec.trigger, source, guard)


# The data itself.


def test_states_in_contract_order() -> None:
    assert STATES == (S.BOT_ACTIVE, S.ESCALATING, S.AGENT_ASSIGNED, S.CLOSED)


def test_every_guard_is_a_lifecycle_method() -> None:
    guards = {g for spec in TRANSITIONS for g in spec.guards}
    assert guards == {"is_assigned_agent", "is_another_agent", "is_not_another_agent"}
    assert all(callable(getattr(RoomLifecycle, g, None)) for g in guards)


def test_messages_are_the_internal_rows() -> None:
    internal = [(spec.trigger, spec.dest) for spec in TRANSITIONS if spec.internal]
    assert internal == [
        (T.USER_MESSAGE, S.BOT_ACTIVE),
        (T.USER_MESSAGE, S.ESCALATING),
        (T.USER_MESSAGE, S.AGENT_ASSIGNED),
        (T.AGENT_MESSAGE, S.AGENT_ASSIGNED),
        (T.TRANSFER, S.AGENT_ASSIGNED),  # the room stays with an agent; the agent changes
    ]


def test_one_row_per_trigger_and_source() -> None:
    pairs = [(spec.trigger, source) for spec in TRANSITIONS for source in spec.sources]
    assert len(pairs) == len(set(pairs))


def test_machine_bindings_do_not_shadow_the_lifecycle_api() -> None:
    # transitions silently skips binding a trigger whose name the model already uses.
    room = room_in(S.BOT_ACTIVE)
    for trigger in Trigger:
        assert not hasattr(RoomLifecycle, trigger.value)
        assert callable(getattr(room, trigger.value))
    for name in ("fire", "allowed", "is_assigned_agent", "is_not_another_agent"):
        assert getattr(room, name).__func__ is getattr(RoomLifecycle, name)


def test_a_row_cannot_mix_internal_and_external_sources() -> None:
    with pytest.raises(ValueError, match="mixes"):
        TransitionSpec(T.CLOSE, (S.BOT_ACTIVE, S.CLOSED), S.CLOSED, "store_state", "announce")
