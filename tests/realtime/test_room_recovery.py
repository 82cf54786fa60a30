"""Rooms survive a restart, and a vanished agent's rooms go back to the queue."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.support import LiveServer, admin_http, server_settings


async def test_restart_resumes_every_room_in_its_state(
    start_server: Callable[..., LiveServer], tmp_path: Path
) -> None:
    settings = server_settings(tmp_path / "data")
    server = start_server(settings)
    async with admin_http(server) as admin:
        agent, agent_info = await new_agent(admin, "ann")
        plan = {"queued": "escalating", "held": "agent_assigned", "done": "closed"}
        sessions = {}
        for name in plan:
            client, session = await new_customer(server.url, name)
            await client.ok("escalate", {"room_id": session["room_id"]})
            await client.ok("send_message", {"room_id": session["room_id"], "message": name})
            sessions[name] = (client, session)
        await agent.ok("claim_room", {"room_id": sessions["held"][1]["room_id"]})
        await agent.ok("send_message", {"room_id": sessions["held"][1]["room_id"], "message": "hi"})
        await sessions["done"][0].ok("close_room", {"room_id": sessions["done"][1]["room_id"]})
        before = {
            name: (await admin.get(f"/api/sessions/{s['session_id']}/messages")).json()
            for name, (_, s) in sessions.items()
        }
        for client, _ in sessions.values():
            await client.close()
        await agent.close()

    server.stop()
    restarted = start_server(settings.with_overrides())
    async with admin_http(restarted) as admin:
        for name, (_, session) in sessions.items():
            info = (await admin.get(f"/api/sessions/{session['session_id']}")).json()
            assert info["status"] == plan[name], name
            after = (await admin.get(f"/api/sessions/{session['session_id']}/messages")).json()
            assert after == before[name]

        # The held room still belongs to its agent, who can carry on; the queued one can
        # still be claimed; the closed one still refuses.
        agent = await ChatClient(restarted.url, agent_info["token"]).connect()
        try:
            held = sessions["held"][1]["room_id"]
            joined = await agent.ok("join_room", {"room_id": held})
            assert joined["state"] == "agent_assigned" and joined["agent_id"] == "ann"
            ack = await agent.ok("send_message", {"room_id": held, "message": "still here"})
            assert ack["seq"] == joined["messages"][-1]["seq"] + 1
            claimed = await agent.ok("claim_room", {"room_id": sessions["queued"][1]["room_id"]})
            assert claimed["state"] == "agent_assigned"
            refused = await agent.call("close_room", {"room_id": sessions["done"][1]["room_id"]})
            assert refused["error"]["code"] == "room_closed"
        finally:
            await agent.close()


async def test_a_lost_agents_room_is_requeued_after_the_grace_period(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(agent_grace_seconds=0.5)
    async with admin_http(server) as admin:
        customer, session = await new_customer(server.url, "cust")
        room = session["room_id"]
        leaving, _ = await new_agent(admin, "leaving")
        other, _ = await new_agent(admin, "other")
        try:
            await customer.ok("escalate", {"room_id": room})
            await leaving.ok("claim_room", {"room_id": room})
            await leaving.close()

            realert = await other.wait_for(
                "escalation_alert",
                lambda a: a["room_id"] == room and "agent_lost" in a["reasons"],
                timeout=10,
            )
            assert realert["session_id"] == session["session_id"]
            state = await customer.wait_for(
                "room_state",
                lambda e: e["state"] == "escalating" and e["previous"] == "agent_assigned",
            )
            assert state["agent_id"] is None
            claimed = await other.ok("claim_room", {"room_id": room})
            assert claimed["agent_id"] == "other"
        finally:
            await customer.close()
            await other.close()


async def test_an_agent_who_returns_within_the_grace_period_keeps_the_room(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(agent_grace_seconds=1.5)
    async with admin_http(server) as admin:
        customer, session = await new_customer(server.url, "cust")
        room = session["room_id"]
        agent, info = await new_agent(admin, "flaky")
        try:
            await customer.ok("escalate", {"room_id": room})
            await agent.ok("claim_room", {"room_id": room})
            await agent.close()
            agent = await ChatClient(server.url, info["token"]).connect()
            await asyncio.sleep(2.5)
            status = (await admin.get(f"/api/sessions/{session['session_id']}")).json()
            assert status["status"] == "agent_assigned" and status["agent_id"] == "flaky"
        finally:
            await customer.close()
            await agent.close()


async def test_a_room_waiting_too_long_is_realerted_and_the_customer_told(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(unclaimed_realert_seconds=1.0)
    async with admin_http(server) as admin:
        customer, session = await new_customer(server.url, "patient")
        agent, _ = await new_agent(admin, "swamped")
        room = session["room_id"]
        try:
            await customer.ok("escalate", {"room_id": room})
            first = await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
            assert first["realert"] is False
            again = await agent.wait_for(
                "escalation_alert", lambda a: a["room_id"] == room and a["realert"], timeout=10
            )
            assert again["escalation_id"] == first["escalation_id"]
            told = await customer.wait_for(
                "new_message", lambda m: m["sender_type"] == "system" and "leave" in m["message"]
            )
            assert "still busy" in told["message"]
            # Claimed rooms are left alone.
            await agent.ok("claim_room", {"room_id": room})
            count = len(agent.received("escalation_alert", lambda a: a["room_id"] == room))
            await asyncio.sleep(2.5)
            assert len(agent.received("escalation_alert", lambda a: a["room_id"] == room)) == count
        finally:
            await customer.close()
            await agent.close()
