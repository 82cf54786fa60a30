"""Teams and topic routing over real Socket.IO and REST, on SQLite and PostgreSQL.

The bot is `TopicBot` (tests/fakes.py): a message's "topic:<category>" is what the chat is
about and "dispute" hands it over, so each test routes by categories of its own and the
module's chats never cross teams. The team's claim time is short (`TIMEOUT`).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.fakes import FAKE_BOT, TopicBot
from tests.realtime.clients import ChatClient, claimed_room, new_agent, new_customer
from tests.support import LiveServer, shared_server

TIMEOUT = 2.0
server, admin = shared_server(
    "server", "admin", both_engines=True, parts=FAKE_BOT, team_claim_timeout_seconds=TIMEOUT
)


@pytest.fixture(autouse=True)
def topic_bot(server: LiveServer) -> None:
    server.services.rooms.effects.responder = TopicBot()


async def new_team(
    admin: httpx.AsyncClient, name: str, members: list[str], **topics: list[str]
) -> dict[str, Any]:
    created = await admin.post("/api/teams", json={"name": name, "agent_ids": members, **topics})
    assert created.status_code == 201, created.text
    team: dict[str, Any] = created.json()
    return team


async def pending(admin: httpx.AsyncClient, room_id: str) -> dict[str, Any]:
    queue = (await admin.get("/api/escalations", params={"status": "pending"})).json()
    [found] = [e for e in queue["escalations"] if e["room_id"] == room_id]
    return dict(found)


def for_room(room_id: str) -> Any:
    return lambda event: event["room_id"] == room_id


async def test_a_billing_chat_alerts_the_billing_team_then_everyone(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    billing_agent, billing_account = await new_agent(admin, f"bill-{uid}")
    tech_agent, tech_account = await new_agent(admin, f"tech-{uid}")
    billing = await new_team(
        admin, f"Billing {uid}", [billing_account["agent_id"]], categories=[f"billing-{uid}"]
    )
    await new_team(admin, f"Tech {uid}", [tech_account["agent_id"]], categories=[f"tech-{uid}"])
    # A chat about nothing a team takes, queued first: everyone's queue, not the team's.
    other, other_session = await new_customer(server.url, f"other-{uid}")
    customer, session = await new_customer(server.url, f"cust-{uid}")
    room = session["room_id"]
    clients: list[ChatClient] = [billing_agent, tech_agent, other, customer]
    try:
        await other.ok("escalate", {"room_id": other_session["room_id"]})
        await tech_agent.wait_for("escalation_alert", for_room(other_session["room_id"]))
        await customer.ok("send_message", {"room_id": room, "message": f"topic:billing-{uid} hi"})
        await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
        text = "I dispute this charge"
        await customer.ok("send_message", {"room_id": room, "message": text})
        queued_at = time.monotonic()

        alert = await billing_agent.wait_for("escalation_alert", for_room(room))
        assert (alert["team_id"], alert["team_name"]) == (billing["team_id"], f"Billing {uid}")
        assert alert["team_only"] is True and alert["reasons"] == ["sensitive_topic"]
        notice = await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert notice["queue_position"] == 1  # first in the billing queue, second overall
        stored = await pending(admin, room)
        assert (stored["team_id"], stored["widened_at"]) == (billing["team_id"], None)
        assert tech_agent.received("escalation_alert", for_room(room)) == []

        widened = await tech_agent.wait_for("escalation_alert", for_room(room), timeout=30)
        assert time.monotonic() - queued_at >= TIMEOUT - 0.5
        assert widened["team_only"] is False and widened["team_id"] == billing["team_id"]
        assert (await pending(admin, room))["widened_at"] is not None
        # Anyone may claim it now; the team's agent hears that it is gone.
        await tech_agent.ok("claim_room", {"room_id": room})
        await billing_agent.wait_for("escalation_claimed", for_room(room))
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def test_a_team_claim_in_time_never_reaches_the_others(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    billing_agent, billing_account = await new_agent(admin, f"bill-{uid}")
    bystander, _ = await new_agent(admin, f"by-{uid}")
    await new_team(admin, f"Billing {uid}", [billing_account["agent_id"]], reasons=[f"r-{uid}"])
    customer, session = await new_customer(server.url, f"cust-{uid}")
    room = session["room_id"]
    try:
        # Routed by the escalation's reason alone (no article was weighed).
        await customer.ok("escalate", {"room_id": room, "reason": f"r-{uid}"})
        await billing_agent.wait_for("escalation_alert", for_room(room))
        await billing_agent.ok("claim_room", {"room_id": room})
        await asyncio.sleep(TIMEOUT + 1.5)
        assert bystander.received("escalation_alert", for_room(room)) == []
    finally:
        await asyncio.gather(billing_agent.close(), bystander.close(), customer.close())


async def test_nobody_of_the_team_available_alerts_everyone_at_once(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    away, away_account = await new_agent(admin, f"away-{uid}", available=False)
    bystander, _ = await new_agent(admin, f"by-{uid}")
    team = await new_team(admin, f"Night {uid}", [away_account["agent_id"]], reasons=[f"r-{uid}"])
    customer, session = await new_customer(server.url, f"cust-{uid}")
    room = session["room_id"]
    try:
        await customer.ok("escalate", {"room_id": room, "reason": f"r-{uid}"})
        alert = await bystander.wait_for("escalation_alert", for_room(room), timeout=TIMEOUT / 2)
        assert (alert["team_id"], alert["team_only"]) == (team["team_id"], False)
        assert (await pending(admin, room))["widened_at"] is not None
        assert away.received("escalation_alert", for_room(room)) == []
    finally:
        await asyncio.gather(away.close(), bystander.close(), customer.close())


async def test_a_team_transfer_requeues_the_room_to_that_team(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, ann, ann_account = await claimed_room(
        server.url, admin, f"cust-{uid}", f"ann-{uid}"
    )
    retention_agent, retention_account = await new_agent(admin, f"ret-{uid}")
    bystander, _ = await new_agent(admin, f"by-{uid}")
    team = await new_team(admin, f"Retention {uid}", [retention_account["agent_id"]])
    room = session["room_id"]
    clients = [customer, ann, retention_agent, bystander]
    try:
        refusals = [
            ({"room_id": room}, "invalid_input"),
            ({"room_id": room, "team_id": team["team_id"], "agent_id": "x"}, "invalid_input"),
            ({"room_id": room, "team_id": f"nope-{uid}"}, "team_not_found"),
        ]
        for payload, code in refusals:
            refused = await ann.call("transfer_room", payload)
            assert (refused["ok"], refused["error"]["code"]) == (False, code), payload
        assert (await admin.get(f"/api/sessions/{session['session_id']}")).json()["agent_id"] == (
            ann_account["agent_id"]
        )

        ack = await ann.ok("transfer_room", {"room_id": room, "team_id": team["team_id"]})
        assert (ack["state"], ack["previous"], ack["agent_id"]) == (
            "escalating",
            "agent_assigned",
            None,
        )
        alert = await retention_agent.wait_for("escalation_alert", for_room(room))
        assert (alert["team_id"], alert["team_only"], alert["reasons"]) == (
            team["team_id"],
            True,
            ["transferred"],
        )
        told = await customer.wait_for("new_message", lambda m: "transferred" in m["message"])
        assert told["message"] == (
            f"{ann_account['name']} transferred this chat to the Retention {uid} team."
        )
        notice = await customer.wait_for(
            "new_message", lambda m: "queue_position" in m and m["seq"] > told["seq"]
        )
        assert notice["queue_position"] == 1  # the team's queue
        assert (await pending(admin, room))["team_id"] == team["team_id"]
        assert bystander.received("escalation_alert", for_room(room)) == []
        # Ann no longer holds the room: she may not speak in it; the team's agent claims it.
        refused = await ann.call("send_message", {"room_id": room, "message": "still me"})
        assert refused["ok"] is False
        await retention_agent.ok("claim_room", {"room_id": room})
        await customer.wait_for(
            "agent_joined", lambda j: j["agent_id"] == retention_account["agent_id"]
        )
    finally:
        await asyncio.gather(*(client.close() for client in clients))


async def test_the_summary_report_splits_by_team(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    started = datetime.now(UTC)
    agent, account = await new_agent(admin, f"ann-{uid}")
    team = await new_team(admin, f"Billing {uid}", [account["agent_id"]], reasons=[f"r-{uid}"])
    served, served_session = await new_customer(server.url, f"served-{uid}")
    other, other_session = await new_customer(server.url, f"other-{uid}")
    room = served_session["room_id"]
    try:
        await served.ok("escalate", {"room_id": room, "reason": f"r-{uid}"})
        await agent.wait_for("escalation_alert", for_room(room))
        await agent.ok("claim_room", {"room_id": room})
        await agent.ok("close_room", {"room_id": room})
        await other.ok("escalate", {"room_id": other_session["room_id"]})
    finally:
        await asyncio.gather(agent.close(), served.close(), other.close())
    until = datetime.now(UTC) + timedelta(seconds=1)
    response = await admin.get(
        "/api/reports/summary", params={"since": started.isoformat(), "until": until.isoformat()}
    )
    assert response.status_code == 200, response.text
    by_team = {row["team_id"]: row for row in response.json()["by_team"]}
    billing = by_team[team["team_id"]]
    assert (billing["name"], billing["escalations"], billing["widened"]) == (f"Billing {uid}", 1, 0)
    assert billing["time_to_first_claim"]["count"] == billing["handle_time"]["count"] == 1
    assert by_team[None]["escalations"] == 1 and by_team[None]["name"] is None
    assert list(by_team)[-1] is None  # no team comes last
