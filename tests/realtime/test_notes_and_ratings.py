"""Private notes (`add_note`) and CSAT (`rate`) over real Socket.IO, on a live server."""

from __future__ import annotations

import asyncio

import httpx

from tests.fakes import FAKE_BOT
from tests.realtime.clients import claimed_room, new_agent, new_customer
from tests.support import LiveServer, bearer, shared_server

server, admin = shared_server("server", "admin", both_engines=True, parts=FAKE_BOT)


async def test_a_note_reaches_agents_and_never_the_customer(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, agent, account = await claimed_room(
        server.url, admin, f"cust-{uid}", f"agent-{uid}"
    )
    room_id = session["room_id"]
    try:
        ack = await agent.ok("add_note", {"room_id": room_id, "text": "  VIP, disputed twice  "})
        note = await agent.wait_for("new_message", lambda m: m["seq"] == ack["seq"])
        assert note["message"] == "VIP, disputed twice" and note["visibility"] == "agents"
        assert note["sender_type"] == "agent" and note["sender_id"] == account["agent_id"]

        # A later public message reaches the customer, so the note would have arrived first.
        public = await agent.ok("send_message", {"room_id": room_id, "message": "Hello!"})
        await customer.wait_for("new_message", lambda m: m["seq"] == public["seq"])
        assert customer.received("new_message", lambda m: m["seq"] == ack["seq"]) == []
        assert all("VIP" not in m["message"] for m in customer.received("new_message"))

        synced = await customer.ok("sync", {"room_id": room_id, "after_seq": 0})
        assert ack["seq"] not in [m["seq"] for m in synced["messages"]]
        rejoined = await customer.ok("join_room", {"room_id": room_id})
        assert ack["seq"] not in [m["seq"] for m in rejoined["messages"]]
        path = f"/api/sessions/{session['session_id']}/messages"
        mine = (await admin.get(path, headers=bearer(session["token"]))).json()["messages"]
        assert ack["seq"] not in [m["seq"] for m in mine]
        assert {m["visibility"] for m in mine} == {"all"}

        for staff in (bearer(account["token"]), {}):  # the agent, then the admin
            seen = (await admin.get(path, headers=staff)).json()["messages"]
            [found] = [m for m in seen if m["seq"] == ack["seq"]]
            assert found["visibility"] == "agents" and found["message"] == "VIP, disputed twice"
        agent_sync = await agent.ok("sync", {"room_id": room_id, "after_seq": 0})
        assert ack["seq"] in [m["seq"] for m in agent_sync["messages"]]
    finally:
        await asyncio.gather(customer.close(), agent.close())


async def test_notes_are_refused_to_customers_outsiders_and_bad_input(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, agent, _ = await claimed_room(
        server.url, admin, f"cust-{uid}", f"agent-{uid}"
    )
    outsider, _ = await new_agent(admin, f"out-{uid}")
    room_id = session["room_id"]
    try:
        refused = await customer.call("add_note", {"room_id": room_id, "text": "hi"})
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
        # The room is held by someone else, not queued: another agent may not read it.
        other = await outsider.call("add_note", {"room_id": room_id, "text": "hi"})
        assert other["error"]["code"] == "not_your_room"
        empty = await agent.call("add_note", {"room_id": room_id, "text": "   "})
        assert empty["error"]["code"] == "empty_message"
        long = await agent.call("add_note", {"room_id": room_id, "text": "x" * 4001})
        assert long["error"]["code"] == "message_too_long"
        wrong = await agent.call("add_note", {"room_id": room_id, "text": 5})
        assert wrong["error"]["code"] == "invalid_input"
    finally:
        await asyncio.gather(customer.close(), agent.close(), outsider.close())


async def test_the_customer_rates_a_closed_chat_once(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, agent, account = await claimed_room(
        server.url, admin, f"cust-{uid}", f"agent-{uid}"
    )
    room_id = session["room_id"]
    try:
        early = await customer.call("rate", {"room_id": room_id, "score": 5})
        assert early["error"]["code"] == "room_not_closed"
        await agent.ok("close_room", {"room_id": room_id})
        asked = await customer.wait_for("new_message", lambda m: m.get("csat_request") is True)
        assert asked["sender_type"] == "system"

        by_agent = await agent.call("rate", {"room_id": room_id, "score": 5})
        assert by_agent["error"]["code"] == "forbidden"
        for bad in (
            {"score": 6},
            {"score": 0},
            {"score": "5"},
            {"score": 3, "comment": "x" * 2001},
        ):
            ack = await customer.call("rate", {"room_id": room_id, **bad})
            assert ack["error"]["code"] == "invalid_input", bad

        ack = await customer.ok("rate", {"room_id": room_id, "score": 4, "comment": " Quick! "})
        assert ack["score"] == 4
        again = await customer.call("rate", {"room_id": room_id, "score": 1})
        assert again["error"]["code"] == "already_rated"
        # On the server's own loop: a pooled PostgreSQL connection belongs to it.
        rating = await asyncio.to_thread(
            server.call, lambda: server.services.store.rating_for(room_id)
        )
        assert rating is not None
        assert (rating.score, rating.comment, rating.agent_id) == (4, "Quick!", account["agent_id"])

        metrics = (await admin.get("/metrics")).text
        assert 'supportflow_csat_ratings_total{score="4"}' in metrics
    finally:
        await asyncio.gather(customer.close(), agent.close())


async def test_a_left_contact_stays_on_the_room_not_on_the_account(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    # Issue 20.7: leave_contact overwrote the registered email of any user, every call.
    user_id = f"registered-{uid}"
    created = await admin.post(
        "/api/users", json={"user_id": user_id, "name": "Reg", "email": "reg@example.org"}
    )
    assert created.status_code == 201
    customer, session = await new_customer(server.url, user_id)
    room_id = session["room_id"]
    try:
        for left in ("first@example.org", "second@example.org"):
            ack = await customer.ok("leave_contact", {"room_id": room_id, "email": left})
            assert ack == {"ok": True, "room_id": room_id, "email": left}
        user = await asyncio.to_thread(server.call, lambda: server.services.store.get_user(user_id))
        assert user.email == "reg@example.org"
        path = f"/api/sessions/{session['session_id']}/messages"
        staff = (await admin.get(path)).json()["messages"]
        notes = [m for m in staff if "contact_email" in m["metadata"]]
        assert [m["metadata"]["contact_email"] for m in notes] == [
            "first@example.org",
            "second@example.org",
        ]
        assert all(m["visibility"] == "agents" for m in notes)
        mine = (await admin.get(path, headers=bearer(session["token"]))).json()["messages"]
        assert all("example.org" not in m["message"] for m in mine)
    finally:
        await customer.close()
