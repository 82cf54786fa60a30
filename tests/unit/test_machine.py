"""The room lifecycle machine, run through the real `transitions` AsyncMachine."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from transitions.extensions.asyncio import AsyncMachine

from supportflow.errors import Conflict, Forbidden, SupportflowError
from supportflow.rooms.machine import (
    STATES,
    TRANSITIONS,
    RoomLifecycle,
    RoomState,
    TransitionResult,
    TransitionSpec,
    Trigger,
)

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
        T.CLAIM: BAD,
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


@pytest.mark.parametrize(("state", "trigger", "outcome"), CASES)
async def test_check_predicts_fire_and_changes_nothing(
    state: RoomState, trigger: Trigger, outcome: RoomState | str
) -> None:
    room = room_in(state)
    before = (room.current, room.agent_id)
    if isinstance(outcome, RoomState):
        step = await room.check(trigger, actor_id=AGENT, target_id=OTHER)
        assert step.dest is outcome
        assert step.trigger is trigger and state in step.sources  # what the store expects
    else:
        with pytest.raises(Conflict) as refused:
            await room.check(trigger, actor_id=AGENT, target_id=OTHER)
        assert refused.value.code == outcome
    assert (room.current, room.agent_id) == before


async def test_invalid_transition_names_the_trigger_and_state() -> None:
    with pytest.raises(Conflict, match="cannot claim a room that is bot_active"):
        await room_in(S.BOT_ACTIVE).check(T.CLAIM, actor_id=AGENT)


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


# Guards: each refusal raises the same from check() and fire(), and changes nothing.

GUARD_CASES = [
    pytest.param(S.AGENT_ASSIGNED, T.AGENT_MESSAGE, OTHER, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.AGENT_MESSAGE, None, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.RELEASE, OTHER, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.RELEASE, None, False, "not_assigned_agent"),
    pytest.param(S.AGENT_ASSIGNED, T.CLOSE, OTHER, True, "not_assigned_agent"),
    pytest.param(S.ESCALATING, T.CLOSE, AGENT, True, "not_assigned_agent"),
]


@pytest.mark.parametrize(("state", "trigger", "actor", "by_agent", "code"), GUARD_CASES)
async def test_guard_refusals(
    state: RoomState, trigger: Trigger, actor: str | None, by_agent: bool, code: str
) -> None:
    room = room_in(state)
    before = (room.current, room.agent_id)
    with pytest.raises(Forbidden) as dry:
        await room.check(trigger, actor_id=actor, by_agent=by_agent)
    with pytest.raises(Forbidden) as real:
        await room.fire(trigger, actor_id=actor, by_agent=by_agent)
    assert dry.value.code == real.value.code == code
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
        await room.check(T.AGENT_MESSAGE, actor_id=AGENT)
    await room.check(T.AGENT_MESSAGE, actor_id=OTHER)


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
    for attempt in (room.check, room.fire):
        with pytest.raises(error) as refused:
            await attempt(T.TRANSFER, actor_id=actor, by_agent=True, target_id=target)
        assert refused.value.code == code
    assert (room.current, room.agent_id) == (S.AGENT_ASSIGNED, AGENT)


async def test_a_transfer_without_a_target_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="receiving agent"):
        await room_in(S.AGENT_ASSIGNED).check(T.TRANSFER, actor_id=AGENT)


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
    # check() asks the machine (may_trigger), not a copy of the rules: a guard that says no
    # is what refuses, in check() and in fire() alike.
    room = room_in(S.AGENT_ASSIGNED)
    assert (await room.check(T.RELEASE, actor_id=AGENT)).dest is S.BOT_ACTIVE
    monkeypatch.setattr(RoomLifecycle, "is_assigned_agent", lambda self, **_: False)
    with pytest.raises(Forbidden):
        await room.check(T.RELEASE, actor_id=AGENT)
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


# Concurrency: fire() calls on one room run one at a time, in call order.


async def test_concurrent_claims_have_exactly_one_winner() -> None:
    room = room_in(S.ESCALATING)
    agents = [f"agent-{n}" for n in range(10)]
    outcomes = await asyncio.gather(
        *(room.fire(T.CLAIM, actor_id=a) for a in agents), return_exceptions=True
    )
    winners = [o for o in outcomes if isinstance(o, TransitionResult)]
    assert len(winners) == 1
    assert winners[0].agent_id == room.agent_id == agents[0]
    losers = [o for o in outcomes if not isinstance(o, TransitionResult)]
    assert all(isinstance(o, Conflict) and o.code == BAD for o in losers)
    assert room.current is S.AGENT_ASSIGNED


async def test_concurrent_mixed_triggers_end_consistent() -> None:
    room = room_in(S.BOT_ACTIVE)
    calls = [
        (T.ESCALATE, None),
        (T.AGENT_MESSAGE, AGENT),  # refused: nobody holds the room yet
        (T.CLAIM, AGENT),
        (T.CLAIM, OTHER),  # refused: already claimed
        (T.AGENT_MESSAGE, OTHER),  # refused: not the assigned agent
        (T.AGENT_MESSAGE, AGENT),
        (T.RELEASE, AGENT),
        (T.USER_MESSAGE, None),
        (T.CLOSE, None),
        (T.USER_MESSAGE, None),  # refused: closed
    ]
    outcomes = await asyncio.gather(
        *(room.fire(t, actor_id=a) for t, a in calls), return_exceptions=True
    )
    summary = [
        o.state if isinstance(o, TransitionResult) else getattr(o, "code", o) for o in outcomes
    ]
    assert summary == [
        S.ESCALATING,
        BAD,
        S.AGENT_ASSIGNED,
        BAD,
        "not_assigned_agent",
        S.AGENT_ASSIGNED,
        S.BOT_ACTIVE,
        S.BOT_ACTIVE,
        S.CLOSED,
        CLOSED,
    ]
    results = [o for o in outcomes if isinstance(o, TransitionResult)]
    for before, after in itertools.pairwise(results):
        assert after.previous is before.state
    assert (room.current, room.agent_id) == (S.CLOSED, None)


async def test_cancelled_fire_leaves_the_room_unchanged() -> None:
    room = room_in(S.AGENT_ASSIGNED)
    task = asyncio.create_task(room.fire(T.RELEASE, actor_id=AGENT))
    # Step it into the machine's trigger, where guard evaluation suspends (check() before
    # it suspends on the same guards, once).
    for _ in range(10):
        if task in AsyncMachine.async_tasks.get(id(room), []):
            break
        await asyncio.sleep(0)
    assert task in AsyncMachine.async_tasks.get(id(room), [])
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert (room.current, room.agent_id) == (S.AGENT_ASSIGNED, AGENT)
    result = await room.fire(T.RELEASE, actor_id=AGENT)  # lock released, machine queue clear
    assert result.state is S.BOT_ACTIVE


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
    for name in ("check", "fire", "allowed", "is_assigned_agent", "is_not_another_agent"):
        assert getattr(room, name).__func__ is getattr(RoomLifecycle, name)


def test_a_row_cannot_mix_internal_and_external_sources() -> None:
    with pytest.raises(ValueError, match="mixes"):
        TransitionSpec(T.CLOSE, (S.BOT_ACTIVE, S.CLOSED), S.CLOSED)
