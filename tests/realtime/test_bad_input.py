"""Every event refuses bad payloads with an error ack; the connection stays usable."""

from __future__ import annotations

import httpx
import pytest

from tests.realtime.clients import CLIENT_EVENTS, customer_session, new_agent, new_customer
from tests.support import LiveServer

BAD_PAYLOADS = [
    None,
    [],
    ["room"],
    "room",
    7,
    {},
    {"room_id": None},
    {"room_id": 5},
    {"room_id": ["x"]},
    {"room_id": "x" * 5000},
]


@pytest.mark.parametrize("event", CLIENT_EVENTS)
async def test_bad_payloads_get_error_acks(room_server: LiveServer, uid: str, event: str) -> None:
    async with customer_session(room_server.url, f"bad-{uid}") as (customer, session):
        for payload in BAD_PAYLOADS:
            ack = await customer.call(event, payload)
            assert ack["ok"] is False, (event, payload, ack)
            assert ack["error"]["code"] and ack["error"]["message"]
        # Still connected and served.
        synced = await customer.ok("sync", {"room_id": session["room_id"], "after_seq": 0})
        assert synced["messages"] == []


async def test_message_rules(room_server: LiveServer, uid: str) -> None:
    async with customer_session(room_server.url, f"msg-{uid}") as (customer, session):
        room = session["room_id"]
        too_long = await customer.call("send_message", {"room_id": room, "message": "x" * 4001})
        assert too_long["error"]["code"] == "message_too_long"
        huge = await customer.call("send_message", {"room_id": room, "message": "x" * 900_000})
        assert huge["ok"] is False
        empty = await customer.call("send_message", {"room_id": room, "message": "   "})
        assert empty["error"]["code"] == "empty_message"
        wrong_type = await customer.call("send_message", {"room_id": room, "message": 42})
        assert wrong_type["error"]["code"] == "invalid_input"
        impostor = await customer.call(
            "send_message", {"room_id": room, "message": "hi", "user_type": "agent"}
        )
        assert impostor["error"]["code"] == "forbidden"
        other_id = await customer.call(
            "send_message", {"room_id": room, "message": "hi", "user_id": "someone-else"}
        )
        assert other_id["error"]["code"] == "identity_mismatch"
        bad_seq = await customer.call("sync", {"room_id": room, "after_seq": -1})
        assert bad_seq["error"]["code"] == "invalid_input"
        not_agent = await customer.call("claim_room", {"room_id": room})
        assert not_agent["error"]["code"] == "forbidden"
        unknown = await customer.call("no_such_event", {"room_id": room})
        assert unknown["error"]["code"] == "unknown_event"
        typing_elsewhere = await customer.call("typing", {"room_id": "other", "is_typing": True})
        assert typing_elsewhere["error"]["code"] == "not_your_room"
        padded = await customer.call(
            "send_message", {"room_id": room, "message": " " + "x" * 4000 + "  "}
        )
        assert padded["ok"] is True  # the limit counts what is stored, not the padding
        assert (await customer.call("sync", {"room_id": room}))["ok"] is True


async def test_typing_reaches_the_others_in_the_room(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"typ-{uid}")
    agent, _ = await new_agent(room_admin, f"typ-{uid}")
    room = session["room_id"]
    try:
        await customer.ok("escalate", {"room_id": room})
        await agent.ok("claim_room", {"room_id": room})
        await customer.ok("typing", {"room_id": room, "is_typing": True})
        seen = await agent.wait_for("typing", lambda e: e["room_id"] == room)
        assert seen == {
            "room_id": room,
            "sender_type": "user",
            "sender_id": f"typ-{uid}",
            "is_typing": True,
        }
        assert customer.received("typing") == []
        # Typing into a Socket.IO room that is not a chat room reaches nobody.
        sneaky = await agent.call("typing", {"room_id": "agents", "is_typing": True})
        assert sneaky["error"]["code"] == "room_not_found"
        unknown = await agent.call("claim_room", {"room_id": "room-none"})
        assert unknown["error"]["code"] == "room_not_found"
    finally:
        await customer.close()
        await agent.close()
