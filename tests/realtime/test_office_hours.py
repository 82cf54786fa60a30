"""Office hours on a live server: out of hours the customer hears when agents are back, the
room stays queued without re-alerts, and is alerted when the hours begin."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from supportflow.office_hours import DAYS, parse_office_hours
from supportflow.rooms.effects import BACK_ON_DUTY
from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer, admin_http, bearer, serving

# The hours begin this long after the server is configured: enough to start it and
# escalate while closed, short enough to wait for the opening.
OPENS_IN = timedelta(seconds=15)


def hours_opening_at(start: datetime) -> str:
    end = start + timedelta(hours=1)
    until = "24:00" if end.date() != start.date() else f"{end:%H:%M:%S}"
    return f"{DAYS[start.weekday()]} {start:%H:%M:%S}-{until}"


@pytest.fixture(name="opening", scope="module")
def fixture_opening() -> datetime:
    return (datetime.now(UTC) + OPENS_IN).replace(microsecond=0)


@pytest.fixture(name="server", scope="module")
def fixture_server(
    tmp_path_factory: pytest.TempPathFactory, opening: datetime
) -> Iterator[LiveServer]:
    hours = parse_office_hours(hours_opening_at(opening), "UTC")
    data = tmp_path_factory.mktemp("office") / "data"
    with serving(data, office_hours=hours, unclaimed_realert_seconds=1.0) as server:
        yield server


@pytest.fixture(name="admin")
async def fixture_admin(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_http(server) as client:
        yield client


async def test_out_of_hours_escalation_waits_for_the_opening(
    server: LiveServer, admin: httpx.AsyncClient, opening: datetime, uid: str
) -> None:
    agent, _ = await new_agent(admin, f"night-{uid}")
    customer, session = await new_customer(server.url, f"owl-{uid}")
    room_id = session["room_id"]
    try:
        await customer.ok("escalate", {"room_id": room_id})
        assert datetime.now(UTC) < opening, "the server took too long to start for this test"
        told = await customer.wait_for("new_message", lambda m: m.get("office_closed") is True)
        assert told["agents_back_at"] == opening.isoformat()
        assert f"agents are back on {opening:%A} at {opening:%H:%M} (UTC)" in told["message"]
        assert "email" in told["message"]
        assert customer.received("new_message", lambda m: "queue_position" in m) == []
        await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room_id)

        # The customer leaves an address: kept on the room, noted for agents only.
        bad = await customer.call("leave_contact", {"room_id": room_id, "email": "not-an-email"})
        assert bad["error"]["code"] == "invalid_input"
        await customer.ok("leave_contact", {"room_id": room_id, "email": " owl@example.org "})
        path = f"/api/sessions/{session['session_id']}/messages"
        staff = (await admin.get(path)).json()["messages"]
        assert any(
            m["metadata"].get("contact_email") == "owl@example.org" and m["visibility"] == "agents"
            for m in staff
        )
        mine = (await admin.get(path, headers=bearer(session["token"]))).json()["messages"]
        assert all("owl@example.org" not in m["message"] for m in mine)

        # Re-alerts wait for the hours (the watch runs every 0.25 s here, re-alerting after
        # 1 s when open); at the opening the room is alerted and the customer told.
        realert = await agent.wait_for(
            "escalation_alert", lambda a: a["room_id"] == room_id and a["realert"], timeout=60
        )
        assert datetime.now(UTC) >= opening
        assert realert["session_id"] == session["session_id"]
        await customer.wait_for("new_message", lambda m: m["message"] == BACK_ON_DUTY)
        state = (await admin.get(f"/api/sessions/{session['session_id']}")).json()
        assert state["status"] == "escalating"
    finally:
        await asyncio.gather(customer.close(), agent.close())
