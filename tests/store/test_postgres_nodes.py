"""PostgreSQL shared by several nodes: two Store objects (two pools, as two nodes have) on
one real database, racing. The database decides: seq stays gap-free, claims have one
winner and respect capacity, a retried message is stored once, leased work is not shared."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from supportflow.errors import Conflict, Unavailable
from supportflow.store import RoomState, Store
from tests.services import postgres_database
from tests.support import free_port

S = RoomState
NODES = 2
RACES = 8


@pytest.fixture(name="nodes")
async def fixture_nodes() -> AsyncIterator[tuple[Store, Store]]:
    with postgres_database() as url:
        # Opened together: both migrate at once, under the advisory lock, and both succeed.
        first, second = await asyncio.gather(Store.open(url), Store.open(url))
        yield first, second
        await asyncio.gather(first.close(), second.close())


async def escalated_room(store: Store, user: str) -> str:
    room = (await store.create_session(user, token_digest=f"d-{user}")).room_id
    await store.open_escalation(room, ("human_requested",), expected=(S.BOT_ACTIVE,))
    return room


async def test_seq_stays_gap_free_when_two_nodes_write_one_room(
    nodes: tuple[Store, Store],
) -> None:
    room = (await nodes[0].create_session("alice", token_digest="d-alice")).room_id

    async def write(node: int, n: int) -> int:
        stored = await nodes[node].append_message(room, "user", "alice", f"{node}-{n}")
        return stored.message.seq

    seqs = await asyncio.gather(*(write(n % NODES, n) for n in range(60)))
    assert sorted(seqs) == list(range(1, 61))
    messages = await nodes[1].messages_after(room, 0)
    assert [m.seq for m in messages] == list(range(1, 61))
    assert (await nodes[0].session_by_room(room)).exchange_count == 60


async def test_a_retried_message_racing_its_original_is_stored_once(
    nodes: tuple[Store, Store],
) -> None:
    room = (await nodes[0].create_session("alice", token_digest="d-alice")).room_id
    for attempt in range(RACES):
        results = await asyncio.gather(
            *(
                node.append_message(room, "user", "alice", "hello", client_msg_id=f"c{attempt}")
                for node in nodes
            )
        )
        assert sorted(r.duplicate for r in results) == [False, True]
        assert results[0].message.seq == results[1].message.seq == attempt + 1
    assert len(await nodes[0].messages_after(room, 0)) == RACES


async def test_two_agents_claiming_one_room_from_two_nodes_one_wins(
    nodes: tuple[Store, Store],
) -> None:
    for node, agent in zip(nodes, ("ann", "bea"), strict=True):
        await node.create_agent(agent, agent, f"d-{agent}", max_concurrent=RACES, is_available=True)
    for race in range(RACES):
        room = await escalated_room(nodes[0], f"u{race}")
        results = await asyncio.gather(
            nodes[0].claim_room(room, "ann", expected=(S.ESCALATING,)),
            nodes[1].claim_room(room, "bea", expected=(S.ESCALATING,)),
            return_exceptions=True,
        )
        won = [r for r in results if not isinstance(r, BaseException)]
        lost = [r for r in results if isinstance(r, BaseException)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], Conflict) and lost[0].code == "already_claimed"
        session = await nodes[1].session_by_room(room)
        assert session.status is S.AGENT_ASSIGNED and session.agent_id == won[0].handled_by


async def test_one_agent_claiming_two_rooms_from_two_nodes_stays_within_capacity(
    nodes: tuple[Store, Store],
) -> None:
    await nodes[0].create_agent("ann", "Ann", "d-ann", max_concurrent=1, is_available=True)
    for race in range(RACES):
        rooms = [await escalated_room(nodes[0], f"u{race}-{n}") for n in range(NODES)]
        results = await asyncio.gather(
            *(
                node.claim_room(room, "ann", expected=(S.ESCALATING,))
                for node, room in zip(nodes, rooms, strict=True)
            ),
            return_exceptions=True,
        )
        refused = [r for r in results if isinstance(r, Conflict)]
        assert len(refused) == 1 and refused[0].code == "at_capacity", results
        held = await nodes[1].rooms_held_by("ann")
        assert len(held) == 1
        # Free ann for the next race: the room she won closes.
        await nodes[0].set_room_state(held[0].room_id, S.CLOSED, expected=(S.AGENT_ASSIGNED,))


async def test_due_webhook_deliveries_are_leased_to_one_node_each(
    nodes: tuple[Store, Store],
) -> None:
    await nodes[0].create_webhook("http://127.0.0.1:9/hook", ("room.closed",), "s" * 32)
    for n in range(30):
        await nodes[n % NODES].queue_deliveries("room.closed", f'{{"n": {n}}}')
    leased = await asyncio.gather(
        *(node.lease_due_deliveries(lease_seconds=60, limit=20) for node in nodes)
    )
    ids = [due.delivery.delivery_id for batch in leased for due in batch]
    assert len(ids) == len(set(ids)) == 30  # every delivery leased, none twice


async def test_a_server_that_is_not_there_is_database_unavailable() -> None:
    with pytest.raises(Unavailable) as refused:
        await Store.open(f"postgresql://postgres@127.0.0.1:{free_port()}/nothing")
    assert refused.value.code == "database_unavailable"
    assert refused.value.status == 503
    assert "not reachable" in refused.value.message


async def test_connections_cut_by_the_server_are_replaced() -> None:
    with postgres_database() as url:
        store = await Store.open(url)
        try:
            await store.create_user("alice")
            # The server ends every session of this database (a restart, a failover).
            admin = await asyncpg.connect("postgresql://postgres@127.0.0.1:5432/postgres")
            try:
                ended = await admin.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = $1",
                    url.rsplit("/", 1)[1],
                )
            finally:
                await admin.close()
            assert ended >= 1
            # The pool checks a connection before lending it: the next calls just work.
            assert (await store.get_user("alice")).user_id == "alice"
            await store.create_user("bob")
        finally:
            await store.close()
