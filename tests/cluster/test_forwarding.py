"""Two nodes in one process on a real Redis and one database: where rooms run, and why.

Each "node" is a `ClusterNode` with its own `RoomRegistry` (the real actors, leases, bus);
both registries write the same SQLite store. What is tested is placement: commands for a
room held elsewhere run there, answers and errors come back, a dead owner's rooms are taken
over, and a paused owner cannot write after the take-over.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from supportflow.cluster.leased_placement import RoomLease
from supportflow.cluster.node import ClusterNode
from supportflow.errors import Conflict
from supportflow.metrics import Metrics
from supportflow.rooms.commands import Claim, Escalate, PostMessage
from supportflow.rooms.effects import RoomEffects
from supportflow.rooms.registry import RoomRegistry
from supportflow.settings import Settings
from supportflow.store import RoomState, Store
from tests.fakes import EchoResponder, RecordingNotifier
from tests.services import RedisNamespace

# Renewed every third of it, each renewal given a third to answer: long enough that a loaded
# machine (the suite runs on parallel workers) does not lose a lease the test means to keep.
LEASE = 3.0


@dataclass
class Node:
    cluster: ClusterNode
    rooms: RoomRegistry
    notifier: RecordingNotifier


@pytest.fixture(name="store")
async def fixture_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "rooms.db", synchronous="NORMAL")
    yield store
    await store.close()


@pytest.fixture(name="nodes")
async def fixture_nodes(store: Store, redis_namespace: RedisNamespace) -> AsyncIterator[list[Node]]:
    nodes = []
    for name in ("a", "b"):
        settings = Settings(
            redis_url=redis_namespace.url,
            redis_prefix=redis_namespace.prefix.rstrip(":"),
            node_id=f"node-{name}",
            room_lease_seconds=LEASE,
            forward_timeout_seconds=5.0,
        )
        cluster = await ClusterNode.open(settings.cluster)
        notifier = RecordingNotifier()
        effects = RoomEffects(store, EchoResponder(), notifier, 50, Metrics())
        rooms = RoomRegistry(effects, idle_seconds=60, max_live=100, placement=cluster.placement)
        await cluster.serve_forwarded(rooms.submit_here)
        nodes.append(Node(cluster, rooms, notifier))
    yield nodes
    for node in nodes:
        await node.rooms.drain()
        await node.cluster.close()


async def new_room(store: Store, user: str) -> str:
    await store.create_agent("ann", "Ann", "d-ann", max_concurrent=5, is_available=True)
    await store.create_agent("bob", "Bob", "d-bob", max_concurrent=5, is_available=True)
    return (await store.create_session(user, token_digest=f"d-{user}")).room_id


def pause_renewals(node: Node, room: str) -> None:
    """Stop `node` renewing its lease on `room` (the test plays a long pause or a death)."""
    hold = node.rooms._actors[room].hold
    assert isinstance(hold, RoomLease) and hold._renewing is not None
    hold._renewing.cancel()


async def test_a_command_on_another_node_runs_on_the_owner_and_answers(
    store: Store, nodes: list[Node]
) -> None:
    a, b = nodes
    room = await new_room(store, "alice")
    await a.rooms.submit(room, Escalate(("human_requested",)))  # A holds the room now
    change = await b.rooms.submit(room, Claim("ann"))
    assert (change.state, change.previous, change.agent_id) == (
        RoomState.AGENT_ASSIGNED,
        RoomState.ESCALATING,
        "ann",
    )
    assert (a.rooms.live_count, b.rooms.live_count) == (1, 0)  # one actor in the cluster
    # Announced by the owner, not by B.
    assert ("state_changed", RoomState.AGENT_ASSIGNED) in a.notifier.events
    assert ("escalation_claimed", "ann") in a.notifier.events
    assert b.notifier.events == []

    # A refusal on the owner comes back as the same error, code and all.
    with pytest.raises(Conflict) as refused:
        await b.rooms.submit(room, Claim("bob"))
    assert refused.value.code == "already_claimed"


async def test_a_dead_owners_room_is_taken_over_and_rebuilt_from_the_database(
    store: Store, nodes: list[Node]
) -> None:
    a, b = nodes
    room = await new_room(store, "carol")
    await a.rooms.submit(room, PostMessage("user", "carol", "hello", "m1"))
    await a.rooms.submit(room, Escalate(("human_requested",)))
    # A dies: it stops listening and renewing (a killed process's Redis connections close).
    await a.cluster.bus.close()
    pause_renewals(a, room)
    change = await b.rooms.submit(room, Claim("ann"))
    assert change.previous is RoomState.ESCALATING  # B rebuilt the room's state
    assert b.rooms.live_count == 1
    posted = await b.rooms.submit(room, PostMessage("user", "carol", "still there?", "m2"))
    seqs = [m.seq for m in await store.messages_after(room, 0, include_private=True)]
    assert seqs == list(range(1, len(seqs) + 1)) and posted.message.seq == seqs[-1]


async def test_a_paused_owner_cannot_write_after_the_take_over(
    store: Store, nodes: list[Node]
) -> None:
    a, b = nodes
    room = await new_room(store, "dave")
    await a.rooms.submit(room, PostMessage("user", "dave", "one", "d1"))
    pause_renewals(a, room)
    await asyncio.sleep(LEASE * 1.5)  # A "paused" past its lease
    await b.rooms.submit(room, PostMessage("user", "dave", "two", "d2"))  # B took over
    # A wakes up and writes as if it still owned the room: the store refuses the stale
    # fence, A's actor stops, and A's registry hands the command to B instead.
    late = await a.rooms.submit(room, PostMessage("user", "dave", "three", "d3"))
    assert a.rooms.live_count == 0 and b.rooms.live_count == 1
    assert late.message.body == "three" and not late.duplicate
    stored = await store.messages_after(room, 0, include_private=True)
    assert [m.seq for m in stored] == list(range(1, len(stored) + 1))
    customer = [m.body for m in stored if m.sender_type == "user"]
    assert customer == ["one", "two", "three"]
