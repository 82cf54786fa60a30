"""Room state writes take their expected source states from the caller (the machine's row)."""

from __future__ import annotations

import pytest

from supportflow.errors import Conflict
from supportflow.rooms.machine import TRANSITIONS, Trigger
from supportflow.store import RoomState, Store

S = RoomState


def sources(trigger: Trigger) -> tuple[RoomState, ...]:
    return next(spec.sources for spec in TRANSITIONS if spec.trigger is trigger)


async def test_status_is_a_room_state(store: Store) -> None:
    session = await store.create_session("alice", token_digest="d-alice")
    assert session.status is S.BOT_ACTIVE
    assert (await store.session_by_room(session.room_id)).status is S.BOT_ACTIVE


async def test_escalation_refused_from_a_state_not_expected(store: Store) -> None:
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    with pytest.raises(Conflict) as refused:
        await store.open_escalation(room, ("human_requested",), expected=(S.AGENT_ASSIGNED,))
    assert refused.value.code == "invalid_transition"
    assert (await store.session_by_room(room)).status is S.BOT_ACTIVE
    assert await store.pending_escalations() == []
    await store.open_escalation(room, ("human_requested",), sources(Trigger.ESCALATE))
    assert (await store.session_by_room(room)).status is S.ESCALATING


async def test_claim_follows_the_expected_states_and_counts_capacity(store: Store) -> None:
    await store.create_agent("ann", "Ann", "d-ann", max_concurrent=1, is_available=True)
    first = (await store.create_session("alice", token_digest="d-alice")).room_id
    second = (await store.create_session("bob", token_digest="d-bob")).room_id
    with pytest.raises(Conflict) as early:
        await store.claim_room(first, "ann", sources(Trigger.CLAIM))
    assert early.value.code == "already_claimed"  # bot_active: nothing waits to be claimed
    for room in (first, second):
        await store.open_escalation(room, ("human_requested",), sources(Trigger.ESCALATE))
    await store.claim_room(first, "ann", sources(Trigger.CLAIM))
    assert (await store.session_by_room(first)).status is S.AGENT_ASSIGNED
    with pytest.raises(Conflict) as full:
        await store.claim_room(second, "ann", sources(Trigger.CLAIM))
    assert full.value.code == "at_capacity"


async def test_set_room_state_needs_an_expected_state(store: Store) -> None:
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    with pytest.raises(Conflict):
        await store.set_room_state(room, S.CLOSED, expected=(S.ESCALATING,))
    closed = await store.set_room_state(room, S.CLOSED, expected=sources(Trigger.CLOSE))
    assert closed.status is S.CLOSED
    with pytest.raises(ValueError, match="expected state"):
        await store.set_room_state(room, S.BOT_ACTIVE, expected=())
