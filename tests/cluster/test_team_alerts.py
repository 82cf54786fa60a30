"""Team alerts across two nodes on one Redis: the team's agent on node B is alerted about a
chat queued on node A, an agent of no team on A is not; after the team's time the cluster's
sweeper (on whichever node leads) widens it and A's agent is alerted too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer, admin_http, two_nodes

TIMEOUT = 2.0


@pytest.fixture(name="nodes", scope="module")
def fixture_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    base = tmp_path_factory.mktemp("team-nodes")
    with two_nodes(base, "teams", team_claim_timeout_seconds=TIMEOUT) as nodes:
        yield nodes


async def test_a_team_alert_crosses_nodes_then_widens(nodes: list[LiveServer], uid: str) -> None:
    a, b = nodes
    async with admin_http(b) as admin_b, admin_http(a) as admin_a:
        member, _ = await new_agent(admin_b, f"bill-{uid}")
        bystander, _ = await new_agent(admin_a, f"by-{uid}")
        created = await admin_a.post(
            "/api/teams",
            json={"name": f"Billing {uid}", "reasons": [f"r-{uid}"], "agent_ids": [f"bill-{uid}"]},
        )
        assert created.status_code == 201, created.text
    customer, session = await new_customer(a.url, f"cust-{uid}")
    room = session["room_id"]
    try:
        await customer.ok("escalate", {"room_id": room, "reason": f"r-{uid}"})
        queued = time.monotonic()
        alert = await member.wait_for("escalation_alert", lambda e: e["room_id"] == room)
        assert (alert["team_id"], alert["team_only"]) == (created.json()["team_id"], True)
        assert bystander.received("escalation_alert", lambda e: e["room_id"] == room) == []
        widened = await bystander.wait_for(
            "escalation_alert", lambda e: e["room_id"] == room, timeout=30
        )
        assert widened["team_only"] is False
        assert time.monotonic() - queued >= TIMEOUT - 0.5
        # Widened once, by one node: the team's agent hears it once more, not twice.
        await asyncio.sleep(TIMEOUT)
        assert len(member.received("escalation_alert", lambda e: e["room_id"] == room)) == 2
    finally:
        await asyncio.gather(member.close(), bystander.close(), customer.close())
