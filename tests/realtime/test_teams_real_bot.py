"""Team routing end to end with the real bot and the demo knowledge base: a customer
disputing a charge is handed over (`sensitive_topic`), and the billing articles the bot
weighed route the chat to the team that takes the `billing` category."""

from __future__ import annotations

import asyncio

import httpx

from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer, shared_server

bot_server, bot_admin = shared_server("bot_server", "bot_admin", demo_kb=True)


async def test_a_billing_dispute_goes_to_the_billing_team(
    bot_server: LiveServer, bot_admin: httpx.AsyncClient, uid: str
) -> None:
    billing_agent, billing_account = await new_agent(bot_admin, f"bill-{uid}")
    network_agent, network_account = await new_agent(bot_admin, f"net-{uid}")
    for name, category, member in (
        ("Billing", "billing", billing_account),
        ("Network", "network", network_account),
    ):
        created = await bot_admin.post(
            "/api/teams",
            json={"name": name, "categories": [category], "agent_ids": [member["agent_id"]]},
        )
        assert created.status_code == 201, created.text
    customer, session = await new_customer(bot_server.url, f"cust-{uid}")
    room = session["room_id"]
    try:
        text = "I was charged twice for the same thing on my bill and I want to dispute it"
        await customer.ok("send_message", {"room_id": room, "message": text})
        alert = await billing_agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
        assert "sensitive_topic" in alert["reasons"]
        assert (alert["team_name"], alert["team_only"]) == ("Billing", True)
        handed = await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
        categories = {source["id"].split("-")[0] for source in handed.get("considered", [])}
        assert "billing" in categories, handed
        await asyncio.sleep(0.5)
        assert network_agent.received("escalation_alert", lambda a: a["room_id"] == room) == []
    finally:
        await asyncio.gather(billing_agent.close(), network_agent.close(), customer.close())
