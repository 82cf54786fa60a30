"""`transfer_room` over real Socket.IO: the room changes hands, everyone is told, and the
previous agent leaves the room's channel."""

from __future__ import annotations

import asyncio

import httpx

from tests.fakes import FAKE_BOT
from tests.realtime.clients import claimed_room, new_agent, new_customer
from tests.support import LiveServer, bearer, shared_server

server, admin = shared_server("server", "admin", both_engines=True, parts=FAKE_BOT)


async def test_a_transfer_hands_the_room_over_and_moves_the_channel(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, ann, ann_account = await claimed_room(
        server.url, admin, f"cust-{uid}", f"ann-{uid}"
    )
    bo, bo_account = await new_agent(admin, f"bo-{uid}")
    room_id = session["room_id"]
    try:
        ack = await ann.ok(
            "transfer_room", {"room_id": room_id, "agent_id": bo_account["agent_id"]}
        )
        assert (ack["state"], ack["previous"], ack["agent_id"]) == (
            "agent_assigned",
            "agent_assigned",
            bo_account["agent_id"],
        )
        alert = await bo.wait_for("transfer_alert", lambda a: a["room_id"] == room_id)
        assert alert["from_agent_id"] == ann_account["agent_id"]
        assert alert["session_id"] == session["session_id"]
        assert alert["user_id"] == session["user_id"]
        for client in (customer, ann, bo):
            await client.wait_for(
                "room_state",
                lambda s: s["room_id"] == room_id and s["agent_id"] == bo_account["agent_id"],
            )
        joined = await customer.wait_for(
            "agent_joined", lambda j: j["agent_id"] == bo_account["agent_id"]
        )
        assert joined["name"] == bo_account["name"]
        told = await customer.wait_for("new_message", lambda m: "transferred" in m["message"])
        assert (
            told["message"]
            == f"{ann_account['name']} transferred this chat to {bo_account['name']}."
        )

        # Bo talks without joining (the transfer put its sockets in the room); Ann may not.
        said = await bo.ok("send_message", {"room_id": room_id, "message": "Bo here, hello!"})
        await customer.wait_for("new_message", lambda m: m["seq"] == said["seq"])
        refused = await ann.call("send_message", {"room_id": room_id, "message": "still me"})
        assert refused["error"]["code"] in {"not_assigned_agent", "not_your_room"}
        # Ann's sockets left the channel: the customer's next message does not reach her.
        sent = await customer.ok("send_message", {"room_id": room_id, "message": "thanks Bo"})
        await bo.wait_for("new_message", lambda m: m["seq"] == sent["seq"])
        assert ann.received("new_message", lambda m: m["seq"] == sent["seq"]) == []
        held = (await admin.get(f"/api/sessions/{session['session_id']}")).json()
        assert (held["status"], held["agent_id"]) == ("agent_assigned", bo_account["agent_id"])
        claimed = (await admin.get("/api/escalations", params={"status": "claimed"})).json()
        [mine] = [e for e in claimed["escalations"] if e["session_id"] == session["session_id"]]
        assert mine["handled_by"] == bo_account["agent_id"]
    finally:
        await asyncio.gather(customer.close(), ann.close(), bo.close())


async def test_transfer_refusals_change_nothing(
    server: LiveServer, admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session, ann, ann_account = await claimed_room(
        server.url, admin, f"cust-{uid}", f"ann-{uid}"
    )
    away, away_account = await new_agent(admin, f"away-{uid}", available=False)
    full, full_account = await new_agent(admin, f"full-{uid}", max_concurrent=1)
    other_customer, other_session = await new_customer(server.url, f"other-{uid}")
    room_id = session["room_id"]
    try:
        await other_customer.ok("escalate", {"room_id": other_session["room_id"]})
        await full.ok("claim_room", {"room_id": other_session["room_id"]})
        cases = [
            (ann, away_account["agent_id"], "agent_unavailable"),
            (ann, full_account["agent_id"], "at_capacity"),
            (ann, "nobody-at-all", "agent_not_found"),
            (ann, ann_account["agent_id"], "same_agent"),
            (away, full_account["agent_id"], "not_assigned_agent"),  # not the holder
        ]
        for client, target, code in cases:
            ack = await client.call("transfer_room", {"room_id": room_id, "agent_id": target})
            assert ack["ok"] is False and ack["error"]["code"] == code, (target, ack)
        by_customer = await customer.call("transfer_room", {"room_id": room_id, "agent_id": "x"})
        assert by_customer["error"]["code"] == "forbidden"
        bad = await ann.call("transfer_room", {"room_id": room_id})
        assert bad["error"]["code"] == "invalid_input"
        held = await admin.get(
            f"/api/sessions/{session['session_id']}", headers=bearer(ann_account["token"])
        )
        assert held.json()["agent_id"] == ann_account["agent_id"]
        # Ann still holds and hears the room.
        sent = await customer.ok("send_message", {"room_id": room_id, "message": "still there?"})
        await ann.wait_for("new_message", lambda m: m["seq"] == sent["seq"])
    finally:
        await asyncio.gather(
            customer.close(), ann.close(), away.close(), full.close(), other_customer.close()
        )
