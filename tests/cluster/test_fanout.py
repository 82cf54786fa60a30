"""Two nodes on one Redis: every event reaches its sockets, on whichever node they are.

Two live servers (Hypercorn in threads of this process) sharing one database file and one
Redis (a key prefix of their own): a customer on node A, agents on B and A.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.support import LiveServer, admin_http, two_nodes


@pytest.fixture(name="nodes", scope="module")
def fixture_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    with two_nodes(tmp_path_factory.mktemp("fanout"), "fanout", agent_grace_seconds=30.0) as nodes:
        yield nodes


async def test_events_cross_nodes(nodes: list[LiveServer], uid: str) -> None:
    a, b = nodes
    customer, session = await new_customer(a.url, f"cust-{uid}")
    room = session["room_id"]
    async with admin_http(b) as admin_b, admin_http(a) as admin_a:
        far, _ = await new_agent(admin_b, f"far-{uid}")
        near, _ = await new_agent(admin_a, f"near-{uid}")
    clients: list[ChatClient] = [customer, far, near]
    try:
        # An escalation on A alerts the available agents of both nodes.
        await customer.ok("escalate", {"room_id": room})
        for agent in (far, near):
            await agent.wait_for("escalation_alert", lambda e: e["room_id"] == room)
        # Any agent may read a queued room: the one on A looks in.
        await near.ok("join_room", {"room_id": room})

        # A claim on B: everyone hears it; the customer (on A) sees the agent join.
        claim = await far.ok("claim_room", {"room_id": room})
        assert claim["agent_id"] == f"far-{uid}"
        await near.wait_for("escalation_claimed", lambda e: e["room_id"] == room)
        await customer.wait_for("agent_joined", lambda e: e["agent_id"] == f"far-{uid}")

        # The claimer's socket on B was put in the room by the state change (a node call
        # run on B): the agent hears the customer type and talk, without joining.
        await customer.ok("typing", {"room_id": room, "is_typing": True})
        await far.wait_for("typing", lambda e: e["sender_type"] == "user")
        await far.ok("send_message", {"room_id": room, "message": "Hello from node B"})
        heard = await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")
        assert heard["message"] == "Hello from node B"

        # The claim (on B) took the other agent's socket (on A) out of the room.
        await asyncio.sleep(0.3)
        assert near.received("new_message", lambda m: m["sender_type"] == "agent") == []
    finally:
        for client in clients:
            await client.close()


async def test_health_names_the_node(nodes: list[LiveServer]) -> None:
    async with admin_http(nodes[1]) as admin:
        body = (await admin.get("/api/health")).json()
    assert body["components"]["cluster"]["status"] == "ok"
    assert body["components"]["cluster"]["node_id"] == "node-b"
