"""Only those who may read a room hear it: the room's channel follows `Principal.may_read`
through claims, releases and closes (issue 13, items 1 and 2)."""

from __future__ import annotations

import asyncio

import httpx

from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.support import LiveServer

KB_QUESTION = "How do I reset my voicemail PIN?"
SETTLE = 0.4  # seconds for a stray event to arrive after the last one that must


def _heard(client: ChatClient, room: str, text: str) -> bool:
    return bool(
        client.received("new_message", lambda m: m["room_id"] == room and text in m["message"])
    )


async def test_an_agent_stops_hearing_a_room_claimed_by_another_and_after_release(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"pin-{uid}")
    room = session["room_id"]
    watcher, _ = await new_agent(room_admin, f"watch-{uid}")
    holder, _ = await new_agent(room_admin, f"hold-{uid}")
    try:
        await customer.ok("escalate", {"room_id": room})
        await watcher.ok("join_room", {"room_id": room})  # allowed: the room is queued
        await holder.ok("claim_room", {"room_id": room})

        await customer.ok("send_message", {"room_id": room, "message": "my PIN is 9999"})
        await holder.ok("send_message", {"room_id": room, "message": "thanks, checking"})
        await holder.wait_for("new_message", lambda m: m["message"] == "thanks, checking")
        await asyncio.sleep(SETTLE)
        assert _heard(holder, room, "9999")
        assert not _heard(watcher, room, "9999"), "a non-holder heard the customer"
        assert not _heard(watcher, room, "checking"), "a non-holder heard the holder"
        refused = await watcher.call("sync", {"room_id": room, "after_seq": 0})
        assert refused["error"]["code"] == "not_your_room"

        # After the release, neither agent hears the customer or the bot any more.
        await holder.ok("release_room", {"room_id": room})
        await customer.ok("send_message", {"room_id": room, "message": KB_QUESTION})
        await customer.wait_for(
            "new_message", lambda m: m["sender_type"] == "bot" and m["seq"] > 4, timeout=90
        )
        await asyncio.sleep(SETTLE)
        for agent in (watcher, holder):
            assert not _heard(agent, room, KB_QUESTION)
            assert agent.received("new_message", lambda m: m["sender_type"] == "bot") == []
    finally:
        for client in (customer, watcher, holder):
            await client.close()


async def test_a_refused_claim_never_hears_the_room(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    for attempt in range(3):
        customer, session = await new_customer(room_server.url, f"bot-{attempt}-{uid}")
        room = session["room_id"]
        agent, _ = await new_agent(room_admin, f"eager-{attempt}-{uid}")
        try:
            await customer.ok("send_message", {"room_id": room, "message": KB_QUESTION})
            # Queued behind the customer's turn, which ends with the bot's reply.
            claim = await agent.call("claim_room", {"room_id": room})
            assert claim["error"]["code"] == "invalid_transition"
            await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot", timeout=90)
            await asyncio.sleep(SETTLE)
            assert agent.received("new_message") == []
        finally:
            await customer.close()
            await agent.close()


async def test_a_close_takes_agents_out_of_the_room(
    room_server: LiveServer, room_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(room_server.url, f"bye-{uid}")
    room = session["room_id"]
    agent, _ = await new_agent(room_admin, f"close-{uid}")
    try:
        await customer.ok("escalate", {"room_id": room})
        await agent.ok("claim_room", {"room_id": room})
        await agent.ok("close_room", {"room_id": room})
        await customer.wait_for("new_message", lambda m: "closed" in m["message"])
        refused = await agent.call("join_room", {"room_id": room})
        assert refused["error"]["code"] == "not_your_room"
        typing = await agent.call("typing", {"room_id": room, "is_typing": True})
        assert typing["ok"] is False
    finally:
        await customer.close()
        await agent.close()
