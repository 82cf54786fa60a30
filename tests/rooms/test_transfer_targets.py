"""Issue 20, item 3 (fast): a disabled agent is never handed a room, even when an admin set
its availability back on; an agent with no socket is refused as a transfer target."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from supportflow.errors import Conflict
from supportflow.metrics import Metrics
from supportflow.rooms.agent_presence import AgentPresence
from supportflow.rooms.commands import Claim, Escalate, Transfer
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.registry import RoomRegistry
from supportflow.store import RoomState, Store
from tests.fakes import EchoResponder, RecordingNotifier


@pytest.fixture(name="store")
async def fixture_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "rooms.db", synchronous="NORMAL")
    yield store
    await store.close()


@pytest.fixture(name="rooms")
async def fixture_rooms(store: Store) -> AsyncIterator[RoomRegistry]:
    effects = RoomEffects(store, EchoResponder(), RecordingNotifier(), 50, Metrics())
    rooms = RoomRegistry(effects, idle_seconds=60, max_live=100)
    yield rooms
    await rooms.drain()


async def test_a_disabled_agent_made_available_again_is_not_a_transfer_target(
    store: Store, rooms: RoomRegistry
) -> None:
    await store.create_agent("ann", "Ann", "d-ann", max_concurrent=5, is_available=True)
    await store.create_agent("bo", "Bo", "d-bo", max_concurrent=5, is_available=True)
    room = (await store.create_session("alice", token_digest="d-alice")).room_id
    await rooms.submit(room, Escalate(("human_requested",)))
    await rooms.submit(room, Claim("ann", "Ann"))
    await store.set_agent_disabled("bo", True)
    await store.set_agent_availability("bo", True)  # what the admin's PATCH allows
    with pytest.raises(Conflict) as refused:
        await rooms.submit(room, Transfer("ann", "Ann", "bo", "Bo"))
    assert refused.value.code == "agent_unavailable"
    session = await store.session_by_room(room)
    assert (session.status, session.agent_id) == (RoomState.AGENT_ASSIGNED, "ann")


async def test_only_a_connected_agent_passes_the_presence_check(
    store: Store, rooms: RoomRegistry
) -> None:
    presence = AgentPresence(store, rooms, grace_seconds=60)
    try:
        with pytest.raises(Conflict) as refused:
            await presence.ensure_connected("bo")
        assert refused.value.code == "agent_offline"
        await presence.connected("bo")
        await presence.ensure_connected("bo")
        await presence.disconnected("bo")
        with pytest.raises(Conflict):
            await presence.ensure_connected("bo")
    finally:
        await presence.close()
