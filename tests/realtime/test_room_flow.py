"""The whole life of a room over real Socket.IO: bot, queue, claim, chat, hand back, close."""

from __future__ import annotations

import asyncio

import httpx

from tests.realtime.clients import ChatClient, customer_session, new_agent, new_customer
from tests.support import LiveServer

KB_QUESTION = "How do I reset my voicemail PIN?"
ASK_FOR_HUMAN = "I want to talk to a human agent please"


async def test_full_room_lifecycle(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"cust-{uid}")
    room = session["room_id"]
    agents = [(await new_agent(room_admin, f"a{i}-{uid}"))[0] for i in range(10)]
    away, _ = await new_agent(room_admin, f"away-{uid}", available=False)
    try:
        # 1. The bot answers a knowledge question, citing its sources.
        ack = await customer.ok("send_message", {"room_id": room, "message": KB_QUESTION})
        assert ack["seq"] == 1
        reply = await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
        assert reply["seq"] == 2
        assert reply["sources"] and 0.0 <= reply["confidence"] <= 1.0
        assert any("voicemail" in source["id"] for source in reply["sources"])

        # 2. The customer asks for a person: the rules escalate; queued, told the position,
        # and every available agent alerted (with a preview of the conversation).
        await customer.ok("send_message", {"room_id": room, "message": ASK_FOR_HUMAN})
        state = await customer.wait_for("room_state", lambda e: e["room_id"] == room)
        assert (state["state"], state["previous"]) == ("escalating", "bot_active")
        queued = await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert queued["sender_type"] == "system" and queued["queue_position"] >= 1
        for agent in agents:
            alert = await agent.wait_for("escalation_alert", lambda a: a["room_id"] == room)
            assert alert["session_id"] == session["session_id"]
            assert "human_requested" in alert["reasons"]
            assert ASK_FOR_HUMAN in [line["message"] for line in alert["preview"]]
        await asyncio.sleep(0.3)
        assert away.received("escalation_alert", lambda a: a["room_id"] == room) == []

        # 3. Ten agents claim at once: exactly one wins, everyone hears who.
        acks = await asyncio.gather(*(a.call("claim_room", {"room_id": room}) for a in agents))
        winners = [i for i, a in enumerate(acks) if a["ok"]]
        assert len(winners) == 1
        assert {a["error"]["code"] for a in acks if not a["ok"]} == {"already_claimed"}
        winner = agents[winners[0]]
        loser = agents[(winners[0] + 1) % len(agents)]
        for agent in agents:
            claimed = await agent.wait_for("escalation_claimed", lambda e: e["room_id"] == room)
            assert claimed["agent_id"] == f"a{winners[0]}-{uid}"
        joined = await customer.wait_for("agent_joined", lambda e: e["room_id"] == room)
        assert joined["agent_id"] == f"a{winners[0]}-{uid}"
        # The winner hears its own arrival without having joined the room first.
        await winner.wait_for("agent_joined", lambda e: e["room_id"] == room)

        # 4. Agent and customer talk; the bot stays silent; others may not speak.
        bot_replies = len(customer.received("new_message", lambda m: m["sender_type"] == "bot"))
        await winner.ok("send_message", {"room_id": room, "message": "Hi, I'm here to help."})
        heard = await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")
        assert heard["message"] == "Hi, I'm here to help."
        await customer.ok("send_message", {"room_id": room, "message": KB_QUESTION})
        relayed = await winner.wait_for(
            "new_message", lambda m: m["sender_type"] == "user" and m["seq"] > 2
        )
        assert relayed["message"] == KB_QUESTION
        refused = await loser.call("send_message", {"room_id": room, "message": "me too"})
        assert refused["error"]["code"] == "not_assigned_agent"
        await asyncio.sleep(0.5)
        assert (
            len(customer.received("new_message", lambda m: m["sender_type"] == "bot"))
            == bot_replies
        )

        # 5. Hand back: the bot answers again.
        released = await winner.ok("release_room", {"room_id": room})
        assert released["state"] == "bot_active"
        back = await customer.ok("send_message", {"room_id": room, "message": KB_QUESTION})
        await customer.wait_for(
            "new_message", lambda m: m["sender_type"] == "bot" and m["seq"] > back["seq"]
        )
        # The agent who handed the room back no longer hears it.
        assert winner.received("new_message", lambda m: m["seq"] == back["seq"]) == []

        # 6. Close: further messages are refused with a clear error.
        closed = await customer.ok("close_room", {"room_id": room})
        assert closed["state"] == "closed"
        after = await customer.call("send_message", {"room_id": room, "message": "hello?"})
        assert after == {
            "ok": False,
            "error": {"code": "room_closed", "message": f"room {room} is closed"},
        }

        # The transcript is gap-free and in order.
        transcript = await room_admin.get(f"/api/sessions/{session['session_id']}/messages")
        seqs = [m["seq"] for m in transcript.json()["messages"]]
        assert seqs == list(range(1, len(seqs) + 1))
    finally:
        for client in (customer, away, *agents):
            await client.close()


async def test_rest_escalation_alerts_agents(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"cust-{uid}")
    agent, _ = await new_agent(room_admin, f"rest-{uid}")
    try:
        response = await room_admin.post(
            "/api/escalate", json={"session_id": session["session_id"], "reason": "vip"}
        )
        assert response.status_code == 201
        body = response.json()
        assert body["status"] == "pending" and body["reasons"] == ["vip"]
        alert = await agent.wait_for(
            "escalation_alert", lambda a: a["room_id"] == session["room_id"]
        )
        assert alert["escalation_id"] == body["escalation_id"]

        queue = (await room_admin.get("/api/escalations?status=pending")).json()["escalations"]
        assert body["escalation_id"] in [e["escalation_id"] for e in queue]
        times = [e["triggered_at"] for e in queue]
        assert times == sorted(times)

        again = await room_admin.post("/api/escalate", json={"session_id": session["session_id"]})
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "invalid_transition"
        missing = await room_admin.post("/api/escalate", json={"session_id": "nope"})
        assert missing.status_code == 404
    finally:
        await customer.close()
        await agent.close()


async def test_capacity_holds_under_concurrent_claims(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customers = [await new_customer(room_server.url, f"c{i}-{uid}") for i in range(5)]
    agent, _ = await new_agent(room_admin, f"busy-{uid}", max_concurrent=2)
    try:
        for client, session in customers:
            await client.ok("escalate", {"room_id": session["room_id"]})
        acks = await asyncio.gather(
            *(agent.call("claim_room", {"room_id": s["room_id"]}) for _, s in customers)
        )
        assert sum(1 for ack in acks if ack["ok"]) == 2
        assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"at_capacity"}
        mine = (await room_admin.get("/api/agents/available")).json()["agents"]
        assert next(a for a in mine if a["agent_id"] == f"busy-{uid}")["active_rooms"] == 2
    finally:
        await agent.close()
        for client, _ in customers:
            await client.close()


async def test_duplicate_client_msg_id_is_stored_once(room_server: LiveServer, uid: str) -> None:
    async with customer_session(room_server.url, f"cust-{uid}") as (customer, session):
        room = session["room_id"]
        await customer.ok("escalate", {"room_id": room})  # keep the bot out of it
        message = {"room_id": room, "message": "Are you there?", "client_msg_id": "m-1"}
        first = await customer.ok("send_message", message)
        second = await customer.ok("send_message", message)
        assert first["seq"] == second["seq"]
        assert (first["duplicate"], second["duplicate"]) == (False, True)
        synced = await customer.ok("sync", {"room_id": room, "after_seq": 0})
        ids = [m.get("client_msg_id") for m in synced["messages"]]
        assert ids.count("m-1") == 1


async def test_sync_after_reconnect_returns_what_was_missed(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"cust-{uid}")
    room = session["room_id"]
    agent, _ = await new_agent(room_admin, f"sync-{uid}")
    try:
        await customer.ok("escalate", {"room_id": room})
        await agent.ok("claim_room", {"room_id": room})
        seen = await customer.ok("sync", {"room_id": room, "after_seq": 0})
        last_seen = seen["messages"][-1]["seq"]
        await customer.close()

        for text in ("First while you were away", "Second while you were away"):
            await agent.ok("send_message", {"room_id": room, "message": text})

        back = await ChatClient(room_server.url, session["token"]).connect()
        try:
            missed = await back.ok("sync", {"room_id": room, "after_seq": last_seen})
            assert [m["message"] for m in missed["messages"]] == [
                "First while you were away",
                "Second while you were away",
            ]
            assert [m["seq"] for m in missed["messages"]] == [last_seen + 1, last_seen + 2]
        finally:
            await back.close()
    finally:
        await agent.close()


async def test_a_customer_cannot_enter_another_customers_room(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    mine, _ = await new_customer(room_server.url, f"me-{uid}")
    theirs, their_session = await new_customer(room_server.url, f"them-{uid}")
    outsider, _ = await new_agent(room_admin, f"out-{uid}")
    other_room = their_session["room_id"]
    try:
        for event, data in (
            ("join_room", {"room_id": other_room}),
            ("send_message", {"room_id": other_room, "message": "hi"}),
            ("sync", {"room_id": other_room, "after_seq": 0}),
            ("close_room", {"room_id": other_room}),
        ):
            ack = await mine.call(event, data)
            assert ack["ok"] is False and ack["error"]["code"] == "not_your_room", (event, ack)
        # An agent may not open a room that is neither queued nor theirs.
        ack = await outsider.call("join_room", {"room_id": other_room})
        assert ack["error"]["code"] == "not_your_room"
        ack = await outsider.call("join_room", {"room_id": "room-unknown"})
        assert ack["error"]["code"] == "room_not_found"
    finally:
        for client in (mine, theirs, outsider):
            await client.close()
