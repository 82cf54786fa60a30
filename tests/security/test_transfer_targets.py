"""Issue 20, item 3: a transfer cannot strand a customer. The target must be connected now
(and enabled, available, under capacity), and a room held by an agent with no socket goes
back to the queue after the grace period, whenever that happens."""

from __future__ import annotations

import asyncio

import httpx

from supportflow.rooms.commands import Transfer
from supportflow.store import RoomState
from tests.realtime.clients import claimed_room
from tests.support import LiveServer, shared_server

server, admin = shared_server("server", "admin", agent_grace_seconds=1.0)


async def _state(server: LiveServer, room_id: str) -> str:
    session = server.call(lambda: server.services.store.session_by_room(room_id))
    return str(session.status)


async def _absent_agent(admin: httpx.AsyncClient, agent_id: str) -> None:
    """An available agent who never connected."""
    created = await admin.post(
        "/api/agents", json={"agent_id": agent_id, "name": agent_id, "is_available": True}
    )
    assert created.status_code == 201, created.text


async def test_a_transfer_to_an_agent_with_no_socket_is_refused(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    customer, session, holder, _ = await claimed_room(server.url, admin, "strand-me", "holder")
    await _absent_agent(admin, "never-here")
    try:
        ack = await holder.call(
            "transfer_room", {"room_id": session["room_id"], "agent_id": "never-here"}
        )
        assert ack["ok"] is False and ack["error"]["code"] == "agent_offline", ack
        assert await _state(server, session["room_id"]) == RoomState.AGENT_ASSIGNED.value
        # The customer can still be helped by the holder, who never lost the room.
        await holder.ok("send_message", {"room_id": session["room_id"], "message": "still here"})
    finally:
        await holder.close()
        await customer.close()


async def test_a_room_handed_to_an_absent_agent_is_requeued_after_the_grace(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    """The target's last socket closed between the check and the transfer (a race the
    handler cannot close): the absent-agent sweep finds it, at run time, not only at start."""
    customer, session, holder, _ = await claimed_room(server.url, admin, "raced", "racer")
    await _absent_agent(admin, "just-left")
    room = session["room_id"]
    try:
        transfer = Transfer("racer", "Racer", "just-left", "just-left")
        server.call(lambda: server.services.rooms.submit(room, transfer))
        assert await _state(server, room) == RoomState.AGENT_ASSIGNED.value
        for _ in range(100):  # sweep every grace/2 (at least 1 s), then the 1 s grace
            if await _state(server, room) == RoomState.ESCALATING.value:
                break
            await asyncio.sleep(0.1)
        assert await _state(server, room) == RoomState.ESCALATING.value
        # The customer is not stuck: an agent may claim it again.
        await holder.ok("claim_room", {"room_id": room})
    finally:
        await holder.close()
        await customer.close()
