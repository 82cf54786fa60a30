"""Concurrency over real sockets: racing claims and racing writers, on a live server.

tests/rooms/test_registry.py proves the same in-process; these go through Hypercorn,
Socket.IO and a client per agent, so every layer in between takes part in the race.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.support import ADMIN_TOKEN, LiveServer


@pytest.fixture(name="race_server")
def fixture_race_server(start_server: Callable[..., LiveServer]) -> LiveServer:
    # These tests race many events at once on purpose; the rate limit is not under test.
    return start_server(socket_rate_per_second=1000.0, socket_rate_burst=1000)


@pytest.fixture(name="race_admin")
async def fixture_race_admin(race_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=race_server.url, headers=headers, timeout=60) as client:
        yield client


async def close_all(clients: list[ChatClient]) -> None:
    await asyncio.gather(*(client.close() for client in clients))


async def test_twenty_agents_claim_one_room_and_exactly_one_wins(
    race_server: LiveServer, race_admin: httpx.AsyncClient
) -> None:
    customer, session = await new_customer(race_server.url, "contested")
    agents = [await new_agent(race_admin, f"racer{i}") for i in range(20)]
    clients = [customer] + [client for client, _ in agents]
    try:
        await customer.ok("escalate", {"room_id": session["room_id"]})
        acks = await asyncio.gather(
            *(client.call("claim_room", {"room_id": session["room_id"]}) for client, _ in agents)
        )
        winners = [ack for ack in acks if ack["ok"]]
        assert len(winners) == 1, acks
        assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"already_claimed"}
        stored = (await race_admin.get(f"/api/sessions/{session['session_id']}")).json()
        assert stored["status"] == "agent_assigned"
        assert stored["agent_id"] == winners[0]["agent_id"]
        claimed = (await race_admin.get("/api/escalations", params={"status": "claimed"})).json()
        mine = [e for e in claimed["escalations"] if e["session_id"] == session["session_id"]]
        assert [e["handled_by"] for e in mine] == [winners[0]["agent_id"]]
    finally:
        await close_all(clients)


async def test_an_agent_of_capacity_two_claiming_five_rooms_at_once_gets_two(
    race_server: LiveServer, race_admin: httpx.AsyncClient
) -> None:
    customers = [await new_customer(race_server.url, f"queued{i}") for i in range(5)]
    agent, info = await new_agent(race_admin, "busy", max_concurrent=2)
    try:
        for client, session in customers:
            await client.ok("escalate", {"room_id": session["room_id"]})
        acks = await asyncio.gather(
            *(agent.call("claim_room", {"room_id": s["room_id"]}) for _, s in customers)
        )
        assert sum(1 for ack in acks if ack["ok"]) == 2, acks
        assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"at_capacity"}
        me = (await race_admin.get("/api/agents/available")).json()["agents"]
        assert [a["active_rooms"] for a in me if a["agent_id"] == info["agent_id"]] == [2]
        # The three it could not take are still waiting for someone else.
        states = [
            (await race_admin.get(f"/api/sessions/{s['session_id']}")).json()["status"]
            for _, s in customers
        ]
        assert sorted(states) == ["agent_assigned"] * 2 + ["escalating"] * 3
    finally:
        await close_all([agent] + [client for client, _ in customers])


async def test_customer_and_agent_writing_at_once_share_one_gap_free_seq(
    race_server: LiveServer, race_admin: httpx.AsyncClient
) -> None:
    customer, session = await new_customer(race_server.url, "chatty")
    agent, _ = await new_agent(race_admin, "quick")
    room = session["room_id"]
    try:
        await customer.ok("escalate", {"room_id": room})
        await agent.ok("claim_room", {"room_id": room})
        writes = [
            customer.call("send_message", {"room_id": room, "message": f"u{i}"}) for i in range(40)
        ]
        writes += [
            agent.call("send_message", {"room_id": room, "message": f"a{i}"}) for i in range(40)
        ]
        acks = await asyncio.gather(*writes)
        assert all(ack["ok"] for ack in acks), [a for a in acks if not a["ok"]]
        seqs = [ack["seq"] for ack in acks]
        assert len(set(seqs)) == 80, "two messages got the same seq"

        transcript = (
            await race_admin.get(f"/api/sessions/{session['session_id']}/messages")
        ).json()["messages"]
        assert [m["seq"] for m in transcript] == list(range(1, len(transcript) + 1))
        by_seq = {m["seq"]: m["message"] for m in transcript}
        texts = [f"u{i}" for i in range(40)] + [f"a{i}" for i in range(40)]
        assert [by_seq[seq] for seq in seqs] == texts, "an ack's seq is not its message's"
    finally:
        await close_all([customer, agent])
