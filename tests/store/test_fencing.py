"""Fenced room writes: after a newer lease has written a room, an older one changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest

from supportflow.errors import Conflict, LeaseLost, NotFound
from supportflow.rooms.machine import TRANSITIONS, Trigger
from supportflow.store import RoomState, Store

S = RoomState


def sources(trigger: Trigger) -> tuple[RoomState, ...]:
    return next(spec.sources for spec in TRANSITIONS if spec.trigger is trigger)


@pytest.fixture(name="store")
async def fixture_store(store: Store) -> AsyncIterator[Store]:
    """conftest's store, on each engine, with two agents."""
    await store.create_agent("ann", "Ann", "d-ann", max_concurrent=5, is_available=True)
    await store.create_agent("bea", "Bea", "d-bea", max_concurrent=5, is_available=True)
    yield store


@dataclass(frozen=True)
class Snapshot:
    """Everything a room write could change."""

    status: RoomState
    agent_id: str | None
    last_seq: int
    exchange_count: int
    fence: int
    messages: list[tuple[int, str, str]]
    escalations: list[tuple[str, str | None, str]]


async def snapshot(store: Store, room_id: str) -> Snapshot:
    session = await store.session_by_room(room_id)
    messages = await store.messages_after(room_id, 0, include_private=True)
    escalations = [
        (e.status, e.handled_by, e.escalation_id)
        for status in ("pending", "claimed", "cancelled")
        for e in await store.escalations_with_status(status)
        if e.room_id == room_id
    ]
    return Snapshot(
        session.status,
        session.agent_id,
        session.last_seq,
        session.exchange_count,
        session.fence,
        [(m.seq, m.sender_type, m.body) for m in messages],
        sorted(escalations),
    )


async def room_in(store: Store, state: RoomState, fence: int) -> str:
    """A room brought to `state` by writes under lease `fence`."""
    room = (await store.create_session("alice", token_digest=f"d-{state}")).room_id
    await store.append_message(room, "user", "alice", "hello", fence=fence)
    if state is not S.BOT_ACTIVE:
        await store.open_escalation(
            room, ("human_requested",), sources(Trigger.ESCALATE), fence=fence
        )
    if state is S.AGENT_ASSIGNED:
        await store.claim_room(room, "ann", sources(Trigger.CLAIM), fence=fence)
    return room


Write = Callable[[Store, str, int], Awaitable[object]]

# Each room write the actor makes, with the state it can be made from.
WRITES: dict[str, tuple[RoomState, Write]] = {
    "append_message": (
        S.BOT_ACTIVE,
        lambda store, room, fence: store.append_message(room, "user", "alice", "hi", fence=fence),
    ),
    "note": (
        S.AGENT_ASSIGNED,
        lambda store, room, fence: store.append_message(
            room, "agent", "ann", "note", visibility="agents", fence=fence
        ),
    ),
    "open_escalation": (
        S.BOT_ACTIVE,
        lambda store, room, fence: store.open_escalation(
            room, ("human_requested",), sources(Trigger.ESCALATE), fence=fence
        ),
    ),
    "claim_room": (
        S.ESCALATING,
        lambda store, room, fence: store.claim_room(
            room, "bea", sources(Trigger.CLAIM), fence=fence
        ),
    ),
    "transfer_room": (
        S.AGENT_ASSIGNED,
        lambda store, room, fence: store.transfer_room(
            room, "ann", "bea", sources(Trigger.TRANSFER), fence=fence
        ),
    ),
    "set_room_state": (
        S.ESCALATING,
        lambda store, room, fence: store.set_room_state(
            room, S.CLOSED, sources(Trigger.CLOSE), fence=fence
        ),
    ),
}


@pytest.mark.parametrize("name", WRITES)
async def test_an_older_fence_changes_nothing(store: Store, name: str) -> None:
    state, write = WRITES[name]
    room = await room_in(store, state, fence=7)
    before = await snapshot(store, room)
    with pytest.raises(LeaseLost) as refused:
        await write(store, room, 6)
    assert refused.value.code == "lease_lost"
    assert "another node owns room" in refused.value.message
    assert await snapshot(store, room) == before


@pytest.mark.parametrize("name", WRITES)
async def test_the_same_or_a_newer_fence_writes_and_is_kept(store: Store, name: str) -> None:
    state, write = WRITES[name]
    room = await room_in(store, state, fence=7)
    before = await snapshot(store, room)
    await write(store, room, 7 if name.startswith(("append", "note")) else 9)
    after = await snapshot(store, room)
    assert after != before
    assert after.fence == (7 if name.startswith(("append", "note")) else 9)


async def test_a_newer_owner_shuts_the_old_one_out(store: Store) -> None:
    room = await room_in(store, S.BOT_ACTIVE, fence=1)
    await store.append_message(room, "bot", None, "from the new owner", fence=2)
    with pytest.raises(LeaseLost):
        await store.append_message(room, "bot", None, "from the old owner", fence=1)
    messages = await store.messages_after(room, 0)
    assert [(m.seq, m.body) for m in messages] == [(1, "hello"), (2, "from the new owner")]
    assert (await store.session_by_room(room)).last_seq == 2


async def test_unfenced_writes_keep_todays_behaviour(store: Store) -> None:
    room = await room_in(store, S.BOT_ACTIVE, fence=4)
    stored = await store.append_message(room, "user", "alice", "single process")
    assert stored.message.seq == 2
    assert (await store.session_by_room(room)).fence == 4  # None neither checks nor sets


async def test_a_fence_does_not_hide_the_real_refusal(store: Store) -> None:
    room = await room_in(store, S.BOT_ACTIVE, fence=3)
    with pytest.raises(NotFound):
        await store.append_message("no-such-room", "user", "alice", "hi", fence=3)
    with pytest.raises(Conflict) as wrong_state:
        await store.claim_room(room, "ann", sources(Trigger.CLAIM), fence=3)
    assert wrong_state.value.code == "already_claimed"
    assert not isinstance(wrong_state.value, LeaseLost)


async def test_taking_a_room_shuts_out_the_previous_owners_late_write(store: Store) -> None:
    room = await room_in(store, S.BOT_ACTIVE, fence=1)
    taken = await store.take_room(room, fence=2)  # the new owner, before it reads anything
    assert (taken.fence, taken.last_seq, taken.status) == (2, 1, S.BOT_ACTIVE)
    before = await snapshot(store, room)
    with pytest.raises(LeaseLost):  # the old owner's write that was still in flight
        await store.append_message(room, "bot", None, "late reply", fence=1)
    assert await snapshot(store, room) == before


async def test_taking_a_room_with_an_older_fence_is_refused(store: Store) -> None:
    room = await room_in(store, S.BOT_ACTIVE, fence=5)
    before = await snapshot(store, room)
    with pytest.raises(LeaseLost):
        await store.take_room(room, fence=4)
    assert await snapshot(store, room) == before
    assert (await store.take_room(room, fence=5)).fence == 5  # the same holder again: fine
    with pytest.raises(NotFound):
        await store.take_room("no-such-room", fence=9)


def test_lease_lost_is_a_conflict() -> None:
    error = LeaseLost("another node owns the room now")
    assert isinstance(error, Conflict)
    assert error.status == 409
    assert error.to_ack()["error"]["code"] == "lease_lost"
