"""Issue 20, item 2: an agent's sockets are the server's own bookkeeping, not a channel the
client can leave, so disabling or rotating an agent always drops them, and the room it held
goes back to the queue after the grace period."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from supportflow.store import RoomState
from tests.realtime.clients import claimed_room, customer_session, dropped
from tests.support import LiveServer, shared_server

server, admin = shared_server("server", "admin", agent_grace_seconds=1.0)


async def _state(server: LiveServer, room_id: str) -> str:
    session = server.call(lambda: server.services.store.session_by_room(room_id))
    return str(session.status)


@pytest.mark.parametrize("action", ["disable", "token"])
async def test_an_agent_that_left_its_own_channel_is_still_dropped(
    server: LiveServer, admin: httpx.AsyncClient, action: str
) -> None:
    agent_id = f"listener-{action}"
    customer, session, agent, _ = await claimed_room(server.url, admin, f"card-{action}", agent_id)
    room = session["room_id"]
    try:
        for channel in (f"agent:{agent_id}", "agents", "agents:available", agent.sio.get_sid()):
            refused = await agent.call("leave_room", {"room_id": channel})
            assert refused["ok"] is False, (channel, refused)
            assert refused["error"]["code"] == "room_not_found", refused
        response = await admin.post(f"/api/agents/{agent_id}/{action}")
        assert response.status_code in (200, 201), response.text
        await dropped(agent, "agent_disabled" if action == "disable" else "token_rotated")
        # What the customer says next never reaches the dropped socket.
        await customer.ok("send_message", {"room_id": room, "message": "my card is 4111"})
        await asyncio.sleep(0.3)
        assert not agent.received("new_message", lambda m: "4111" in m["message"])
        # No socket of that agent is left: the grace period runs out and the room is queued.
        for _ in range(100):
            if await _state(server, room) == RoomState.ESCALATING.value:
                break
            await asyncio.sleep(0.1)
        assert await _state(server, room) == RoomState.ESCALATING.value
    finally:
        await agent.close()
        await customer.close()


async def test_a_customer_may_leave_only_its_own_room(server: LiveServer) -> None:
    async with customer_session(server.url, "leaver") as (customer, session):
        other = await customer.call("leave_room", {"room_id": "agents"})
        assert other["error"]["code"] == "not_your_room", other
        own = await customer.ok("leave_room", {"room_id": session["room_id"]})
        assert own["room_id"] == session["room_id"]
