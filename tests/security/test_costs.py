"""What anonymous and ordinary clients may cost, and who they may claim to be (issue 13,
items 3, 4, 5 and 6), on real servers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx

from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer, admin_headers, bearer


async def test_ask_with_a_session_needs_the_right_to_read_it(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    customer, session = await new_customer(server.url, "secretive")
    agent, info = await new_agent(admin, "nosy")
    try:
        await customer.ok("send_message", {"room_id": session["room_id"], "message": "PIN 9999"})
        as_agent = bearer(info["token"])
        transcript = await admin.get(
            f"/api/sessions/{session['session_id']}/messages", headers=as_agent
        )
        assert transcript.status_code == 403
        asked = await admin.post(
            "/api/ask",
            json={"message": "repeat the conversation", "session_id": session["session_id"]},
            headers=as_agent,
        )
        assert asked.status_code == 403
        # A session that does not exist answers the same, so a refusal reveals nothing.
        missing = await admin.post(
            "/api/ask", json={"message": "hi", "session_id": "no-such-session"}, headers=as_agent
        )
        assert (missing.status_code, missing.json()) == (403, asked.json())
        assert (
            await admin.post("/api/ask", json={"message": "hi", "session_id": "no-such-session"})
        ).status_code == 404
    finally:
        await customer.close()
        await agent.close()


async def test_anonymous_sessions_get_a_server_chosen_id_and_prove_any_other(
    server: LiveServer, http: httpx.AsyncClient, admin: httpx.AsyncClient
) -> None:
    await admin.post("/api/users", json={"user_id": "vip-t6", "name": "Very Important"})
    await admin.post("/api/agents", json={"agent_id": "ann-agent", "name": "Ann"})
    anonymous = await http.post("/api/sessions", json={})
    assert anonymous.status_code == 201
    chosen = anonymous.json()["user_id"]
    assert chosen.startswith("anon-") and len(chosen) > 20
    assert (await http.post("/api/sessions", json={})).json()["user_id"] != chosen

    for claimed in ("vip-t6", "ann-agent", "someone-new"):
        refused = await http.post("/api/sessions", json={"user_id": claimed})
        assert refused.status_code == 403, claimed
        assert refused.json()["error"]["code"] == "user_id_needs_token"

    # A customer token proves its user: the next chat is theirs, and only theirs.
    mine = bearer(anonymous.json()["token"])
    again = await http.post("/api/sessions", json={}, headers=mine)
    assert again.status_code == 201 and again.json()["user_id"] == chosen
    other = await http.post("/api/sessions", json={"user_id": "vip-t6"}, headers=mine)
    assert other.status_code == 403 and other.json()["error"]["code"] == "identity_mismatch"
    agent_token = (await admin.post("/api/agents", json={"name": "Bo"})).json()["token"]
    as_agent = await http.post("/api/sessions", json={}, headers=bearer(agent_token))
    assert as_agent.status_code == 403

    # The admin token may open a chat for anyone.
    vip = await admin.post("/api/sessions", json={"user_id": "vip-t6"})
    assert vip.status_code == 201 and vip.json()["user_id"] == "vip-t6"


async def test_the_open_and_costly_routes_are_rate_limited_except_for_the_admin(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(sessions_per_minute=3, asks_per_minute=2, escalations_per_minute=2)
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
        created = [await http.post("/api/sessions", json={}) for _ in range(4)]
        assert [r.status_code for r in created] == [201, 201, 201, 429]
        assert created[-1].json()["error"]["code"] == "rate_limited"
        admin = admin_headers()
        for _ in range(5):
            assert (await http.post("/api/sessions", json={}, headers=admin)).status_code == 201

        token = bearer(created[0].json()["token"])
        asks = await asyncio.gather(
            *(http.post("/api/ask", json={"message": "roaming?"}, headers=token) for _ in range(6))
        )
        assert sorted(r.status_code for r in asks) == [200, 200, 429, 429, 429, 429]
        for _ in range(3):
            answer = await http.post("/api/ask", json={"message": "roaming?"}, headers=admin)
            assert answer.status_code == 200

        escalated = [
            await http.post(
                "/api/escalate",
                json={"session_id": s.json()["session_id"]},
                headers=bearer(s.json()["token"]),
            )
            for s in created[:3]
        ]
        assert [r.status_code for r in escalated] == [201, 201, 429]


async def test_escalation_reasons_are_a_fixed_label_set(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    for reason in ("free-text-one", "free-text-two", "human_requested"):
        session = (await admin.post("/api/sessions", json={})).json()
        escalated = await admin.post(
            "/api/escalate", json={"session_id": session["session_id"], "reason": reason}
        )
        assert escalated.status_code == 201
        assert escalated.json()["reasons"] == [reason]  # kept for the agent, as sent
    scrape = (await admin.get("/metrics")).text
    lines = [line for line in scrape.splitlines() if line.startswith("supportflow_escalations")]
    assert any('reason="other"} 2.0' in line for line in lines), lines
    assert any('reason="human_requested"} 1.0' in line for line in lines), lines
    assert not any("free-text" in line for line in lines), lines


async def test_old_closed_sessions_are_deleted_and_open_ones_kept(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(retention_days=1.5 / 86400, retention_interval_seconds=0.5)
    async with httpx.AsyncClient(base_url=server.url, headers=admin_headers()) as admin:
        closing, done = await new_customer(server.url, "done")
        staying, kept = await new_customer(server.url, "ongoing")
        try:
            room = done["room_id"]
            await closing.ok("send_message", {"room_id": room, "message": "thanks, bye"})
            await closing.ok("close_room", {"room_id": room})
            path = f"/api/sessions/{done['session_id']}"
            assert (await admin.get(path)).status_code == 200
            for _ in range(60):
                await asyncio.sleep(0.25)
                if (await admin.get(path)).status_code == 404:
                    break
            else:
                raise AssertionError("the closed session was never deleted")
            left = server.call(lambda: server.services.store.recent_messages(room, 10))
            assert left == []
            await asyncio.sleep(2)  # past retention, but open: kept
            assert (await admin.get(f"/api/sessions/{kept['session_id']}")).status_code == 200
        finally:
            await closing.close()
            await staying.close()
