"""Agent presence: a vanished agent's rooms go back to the queue after the grace period."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from supportflow.errors import Conflict
from supportflow.metrics import Metrics
from supportflow.rooms.agent_presence import AgentPresence
from supportflow.rooms.commands import Claim, Escalate, Transfer
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import RoomState, Store
from tests.fakes import EchoResponder, RecordingNotifier

GRACE = 0.2


@pytest.fixture(name="rooms")
async def fixture_rooms(store: Store) -> AsyncIterator[RoomRegistry]:
    effects = RoomEffects(store, EchoResponder(), RecordingNotifier(), 50, Metrics())
    rooms = RoomRegistry(effects, idle_seconds=60, max_live=100)
    yield rooms
    await rooms.drain()


@pytest.fixture(name="presence")
async def fixture_presence(store: Store, rooms: RoomRegistry) -> AsyncIterator[AgentPresence]:
    presence = AgentPresence(store, rooms, GRACE)
    yield presence
    await presence.close()


async def held_room(store: Store, rooms: RoomRegistry) -> str:
    await store.create_agent("ann", "Ann", "d-ann", max_concurrent=5, is_available=True)
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    await rooms.submit(room, Escalate(("human_requested",)))
    await rooms.submit(room, Claim("ann"))
    return room


async def state_of(store: Store, room: str) -> RoomState:
    return (await store.session_by_room(room)).status


async def test_an_agent_gone_past_the_grace_loses_its_rooms(
    store: Store, rooms: RoomRegistry, presence: AgentPresence
) -> None:
    room = await held_room(store, rooms)
    await presence.connected("ann")
    await presence.disconnected("ann")
    assert await state_of(store, room) is RoomState.AGENT_ASSIGNED
    await asyncio.sleep(GRACE * 3)
    assert await state_of(store, room) is RoomState.ESCALATING
    pending = await store.pending_escalations()
    assert [e.reasons for e in pending] == [("agent_lost",)]


async def test_a_reconnect_within_the_grace_keeps_the_rooms(
    store: Store, rooms: RoomRegistry, presence: AgentPresence
) -> None:
    room = await held_room(store, rooms)
    await presence.connected("ann")
    await presence.connected("ann")  # two tabs
    await presence.disconnected("ann")
    await asyncio.sleep(GRACE * 2)
    assert await state_of(store, room) is RoomState.AGENT_ASSIGNED  # one tab still open
    await presence.disconnected("ann")
    await asyncio.sleep(GRACE / 4)
    await presence.connected("ann")
    await asyncio.sleep(GRACE * 2)
    assert await state_of(store, room) is RoomState.AGENT_ASSIGNED


async def test_after_a_restart_absent_holders_get_the_same_grace(
    store: Store, rooms: RoomRegistry, presence: AgentPresence
) -> None:
    room = await held_room(store, rooms)
    await presence.watch_absent_agents()  # ann never connected since the "restart"
    await asyncio.sleep(GRACE * 3)
    assert await state_of(store, room) is RoomState.ESCALATING


# Issue 20, item 3: transfer targets. A disabled agent is never handed a room, even when an
# admin set its availability back on; an agent with no socket is refused as a target.


async def test_a_disabled_agent_made_available_again_is_not_a_transfer_target(
    store: Store, rooms: RoomRegistry
) -> None:
    room = await held_room(store, rooms)
    await store.create_agent("bo", "Bo", "d-bo", max_concurrent=5, is_available=True)
    await store.set_agent_disabled("bo", True)
    await store.set_agent_availability("bo", True)  # what the admin's PATCH allows
    with pytest.raises(Conflict) as refused:
        await rooms.submit(room, Transfer("ann", "Ann", "bo", "Bo"))
    assert refused.value.code == "agent_unavailable"
    session = await store.session_by_room(room)
    assert (session.status, session.agent_id) == (RoomState.AGENT_ASSIGNED, "ann")


async def test_only_a_connected_agent_passes_the_presence_check(presence: AgentPresence) -> None:
    with pytest.raises(Conflict) as refused:
        await presence.ensure_connected("bo")
    assert refused.value.code == "agent_offline"
    await presence.connected("bo")
    await presence.ensure_connected("bo")
    await presence.disconnected("bo")
    with pytest.raises(Conflict):
        await presence.ensure_connected("bo")
