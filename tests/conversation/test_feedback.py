"""Thumbs up / down on bot replies over real Socket.IO: stored, counted, down hands over."""

from __future__ import annotations

import httpx

from supportflow.store.records import utc_now
from tests.realtime.clients import new_agent, new_customer, queued_reasons, say
from tests.support import LiveServer


def feedback_count(metrics: str, verdict: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(f'supportflow_bot_feedback_total{{verdict="{verdict}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_thumbs_are_stored_and_counted_and_down_escalates(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(demo_server.url, f"thumbs-{uid}")
    room = session["room_id"]
    before = (await demo_admin.get("/metrics")).text
    try:
        answer = await say(customer, room, "How do I set up voicemail?")
        up = await customer.ok("feedback", {"room_id": room, "seq": answer["seq"], "verdict": "up"})
        assert up["escalated"] is False
        # Not a bot reply, not a message at all, not a verdict: clear refusals.
        refused = await customer.call("feedback", {"room_id": room, "seq": 1, "verdict": "up"})
        assert refused["error"]["code"] == "not_a_bot_message"
        missing = await customer.call("feedback", {"room_id": room, "seq": 999, "verdict": "up"})
        assert missing["error"]["code"] == "message_not_found"
        odd = await customer.call("feedback", {"room_id": room, "seq": 2, "verdict": "meh"})
        assert odd["error"]["code"] == "invalid_input"

        down = await customer.ok(
            "feedback", {"room_id": room, "seq": answer["seq"], "verdict": "down"}
        )
        assert down["escalated"] is True
        await customer.wait_for("new_message", lambda m: "queue_position" in m)
        assert await queued_reasons(demo_admin, room) == ["bot_unhelpful"]
        # The stored verdict is the last one given.
        stored = await chat_server_feedback(demo_server, room)
        assert stored == {answer["seq"]: "down"}
        after = (await demo_admin.get("/metrics")).text
        assert feedback_count(after, "up") == feedback_count(before, "up") + 1
        assert feedback_count(after, "down") == feedback_count(before, "down") + 1
    finally:
        await customer.close()


async def test_only_the_customer_gives_feedback(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    customer, session = await new_customer(demo_server.url, f"thumbs2-{uid}")
    agent, _ = await new_agent(demo_admin, f"thumbs-agent-{uid}")
    try:
        answer = await say(customer, session["room_id"], "How do I set up voicemail?")
        refused = await agent.call(
            "feedback", {"room_id": session["room_id"], "seq": answer["seq"], "verdict": "down"}
        )
        assert refused["ok"] is False
    finally:
        await customer.close()
        await agent.close()


async def test_one_vote_per_reply_in_the_metric_and_the_report(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, uid: str
) -> None:
    # Issue 20.6: 15 thumbs up on one reply counted 15 in the metric, 1 in the report.
    customer, session = await new_customer(demo_server.url, f"thumbs3-{uid}")
    room = session["room_id"]
    since = utc_now()

    def reported_ups() -> int:
        store = demo_server.services.store
        return demo_server.call(lambda: store.thumb_counts(since, "9999-12-31")).up

    try:
        answer = await say(customer, room, "How do I set up voicemail?")
        before = (await demo_admin.get("/metrics")).text
        ups_before = reported_ups()
        vote = {"room_id": room, "seq": answer["seq"], "verdict": "up"}
        for _ in range(15):
            assert (await customer.ok("feedback", vote))["escalated"] is False
        after = (await demo_admin.get("/metrics")).text
        assert feedback_count(after, "up") == feedback_count(before, "up") + 1
        mine = demo_server.call(lambda: demo_server.services.store.feedback_for(room))
        assert mine == {answer["seq"]: "up"}
        assert reported_ups() == ups_before + 1
    finally:
        await customer.close()


async def chat_server_feedback(server: LiveServer, room: str) -> dict[int, str]:
    return server.call(lambda: server.services.store.feedback_for(room))
