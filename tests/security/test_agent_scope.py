"""Issue 20, item 8: an agent sees the queue and its own rooms, not other agents'; and a
room it may not read answers the same whether it exists or not."""

from __future__ import annotations

import httpx

from tests.realtime.clients import claimed_room, new_agent
from tests.support import LiveServer, bearer, shared_server

server, admin = shared_server("server", "admin")


async def test_an_agent_lists_only_its_own_claimed_escalations(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    customer, session, holder, holder_account = await claimed_room(
        server.url, admin, "private-customer", "holder"
    )
    other, other_account = await new_agent(admin, "nosy")
    try:
        as_holder = await admin.get(
            "/api/escalations?status=claimed", headers=bearer(holder_account["token"])
        )
        assert [e["room_id"] for e in as_holder.json()["escalations"]] == [session["room_id"]]
        as_other = await admin.get(
            "/api/escalations?status=claimed", headers=bearer(other_account["token"])
        )
        assert as_other.status_code == 200 and as_other.json()["escalations"] == []
        as_admin = await admin.get("/api/escalations?status=claimed")
        assert session["room_id"] in [e["room_id"] for e in as_admin.json()["escalations"]]
    finally:
        await other.close()
        await holder.close()
        await customer.close()


async def test_canned_replies_tell_nothing_of_rooms_an_agent_may_not_read(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    customer, session, holder, _ = await claimed_room(server.url, admin, "held-room", "keeper")
    other, other_account = await new_agent(admin, "prober")
    try:
        as_prober = bearer(other_account["token"])
        held = await admin.get(
            f"/api/canned-replies?room_id={session['room_id']}", headers=as_prober
        )
        missing = await admin.get("/api/canned-replies?room_id=room-nope", headers=as_prober)
        assert held.status_code == missing.status_code == 403, (held.text, missing.text)
        assert held.json()["error"]["code"] == missing.json()["error"]["code"] == "not_your_room"
        # The admin may read any room, so it is told which ones do not exist.
        assert (await admin.get("/api/canned-replies?room_id=room-nope")).status_code == 404
    finally:
        await other.close()
        await holder.close()
        await customer.close()
