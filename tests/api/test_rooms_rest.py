"""Room reads over REST: transcripts, the queue and statecharts, with their permissions."""

from __future__ import annotations

import httpx

from supportflow.rooms.machine import RoomState
from supportflow.rooms.statechart import render_mermaid
from tests.realtime.clients import new_customer
from tests.support import LiveServer, bearer


async def test_transcript_and_statechart_permissions(
    server: LiveServer, admin: httpx.AsyncClient
) -> None:
    customer, session = await new_customer(server.url, "ivy")
    other = (await admin.post("/api/sessions", json={"user_id": "jon"})).json()
    agent = (await admin.post("/api/agents", json={"name": "Ann"})).json()
    try:
        await customer.ok("escalate", {"room_id": session["room_id"]})
        await customer.ok("send_message", {"room_id": session["room_id"], "message": "hello"})
        path = f"/api/sessions/{session['session_id']}/messages"

        mine = await admin.get(path, headers=bearer(session["token"]))
        assert mine.status_code == 200
        messages = mine.json()["messages"]
        assert messages[-1]["message"] == "hello" and messages[-1]["sender_type"] == "user"
        after = await admin.get(f"{path}?after_seq={messages[-1]['seq'] - 1}")
        assert [m["message"] for m in after.json()["messages"]] == ["hello"]
        assert (await admin.get(f"{path}?after_seq=-4")).status_code == 400
        assert (await admin.get(path, headers=bearer(other["token"]))).status_code == 403
        # Queued rooms are readable by any agent (to decide whether to claim).
        assert (await admin.get(path, headers=bearer(agent["token"]))).status_code == 200

        chart = await admin.get(f"/api/sessions/{session['session_id']}/statechart")
        assert chart.status_code == 200
        assert chart.headers["content-type"].startswith("text/vnd.mermaid")
        assert chart.text == render_mermaid(RoomState.ESCALATING)
        generic = await admin.get("/api/statecharts/room")
        assert generic.text == render_mermaid()
        listed = (await admin.get("/api/statecharts")).json()["statecharts"]
        assert listed == [{"name": "room", "title": "Room lifecycle", "mermaid": render_mermaid()}]
        unknown = await admin.get("/api/statecharts/kettle")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "statechart_not_found"

        queue = await admin.get("/api/escalations", headers=bearer(agent["token"]))
        assert [e["session_id"] for e in queue.json()["escalations"]] == [session["session_id"]]
        as_user = await admin.get("/api/escalations", headers=bearer(session["token"]))
        assert as_user.status_code == 403
        bad_status = await admin.get("/api/escalations?status=lost")
        assert bad_status.status_code == 400
    finally:
        await customer.close()
