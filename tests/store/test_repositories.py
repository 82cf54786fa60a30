"""The smaller repositories on both engines: ratings credit the agent, feedback replaces its
verdict, canned replies match a literal prefix, retention deletes a chat whole."""

from __future__ import annotations

import asyncio

import pytest

from supportflow.errors import Conflict, InvalidInput, NotFound
from supportflow.store import RoomState, Store, utc_now
from supportflow.store.webhooks import KEPT_DELIVERIES

S = RoomState


async def _handled_room(store: Store, user_id: str, agent_id: str) -> str:
    """A room escalated, claimed by `agent_id`, and closed."""
    room = (await store.create_session(user_id, token_digest=f"d-{user_id}")).room_id
    await store.append_message(room, "user", user_id, "my line is dead")
    await store.append_message(room, "bot", None, "try restarting the router")
    await store.open_escalation(room, ("asked",), (S.BOT_ACTIVE,))
    await store.claim_room(room, agent_id, (S.ESCALATING,))
    await store.set_room_state(room, S.CLOSED, (S.AGENT_ASSIGNED,))
    return room


async def test_a_rating_credits_the_agent_who_last_held_the_room(store: Store) -> None:
    await store.create_agent("ann", "Ann", "d-ann", 3, True)
    await store.create_agent("bea", "Bea", "d-bea", 3, True)
    room = (await store.create_session("carl", token_digest="d-carl")).room_id
    await store.open_escalation(room, ("asked",), (S.BOT_ACTIVE,))
    await store.claim_room(room, "ann", (S.ESCALATING,))
    await store.transfer_room(room, "ann", "bea", (S.AGENT_ASSIGNED,))
    await store.set_room_state(room, S.CLOSED, (S.AGENT_ASSIGNED,))
    rating = await store.rate_room(room, 5, None)
    assert (rating.agent_id, rating.score) == ("bea", 5)


async def test_feedback_replaces_its_verdict_on_bot_messages_only(store: Store) -> None:
    room = (await store.create_session("dora", token_digest="d-dora")).room_id
    await store.append_message(room, "user", "dora", "hello")
    await store.append_message(room, "bot", None, "hi, how can I help?")
    assert await store.record_feedback(room, 2, "up") is None
    assert await store.record_feedback(room, 2, "down") == "up"
    assert await store.feedback_for(room) == {2: "down"}
    with pytest.raises(InvalidInput):
        await store.record_feedback(room, 1, "up")
    with pytest.raises(NotFound):
        await store.record_feedback(room, 9, "up")


async def test_canned_replies_match_a_literal_prefix(store: Store) -> None:
    await store.create_canned_reply("re_set", "Resetting the router...", None)
    await store.create_canned_reply("reXset", "Not a match for re_", None)
    await store.create_canned_reply("refund", "Refunds take five days.", "Refunds")
    assert [r.shortcut for r in await store.canned_replies("re_")] == ["re_set"]
    assert {r.shortcut for r in await store.canned_replies("re")} == {"re_set", "reXset", "refund"}
    assert len(await store.canned_replies("re", limit=2)) == 2
    taken = await store.create_canned_reply("hello", "Hello!", None)
    with pytest.raises(Conflict):
        await store.update_canned_reply(taken.canned_reply_id, "refund", "x", None)
    await store.delete_canned_reply(taken.canned_reply_id)
    with pytest.raises(NotFound):
        await store.get_canned_reply(taken.canned_reply_id)


async def test_retention_deletes_old_closed_chats_whole(store: Store) -> None:
    await store.create_agent("ann", "Ann", "d-ann", 3, True)
    old = await _handled_room(store, "anon-old", "ann")
    await store.record_feedback(old, 2, "up")
    await store.rate_room(old, 4, None)
    await asyncio.sleep(0.01)  # utc_now() counts milliseconds
    cutoff = utc_now()
    await asyncio.sleep(0.01)
    recent = await _handled_room(store, "anon-recent", "ann")
    still_open = (await store.create_session("anon-open", token_digest="d-open")).room_id

    assert await store.delete_closed_sessions(cutoff) == 1
    with pytest.raises(NotFound):
        await store.session_by_room(old)
    assert await store.messages_after(old, 0) == []
    assert await store.rating_for(old) is None
    assert await store.feedback_for(old) == {}
    with pytest.raises(NotFound):
        await store.get_user("anon-old")  # an anonymous user left without a session
    assert [e.room_id for e in await store.escalations_with_status("claimed")] == [recent]
    for kept in (recent, still_open):
        assert (await store.session_by_room(kept)).room_id == kept
    assert len(await store.messages_after(recent, 0)) == 2
    assert await store.delete_closed_sessions(cutoff) == 0


async def test_webhook_deliveries_are_queued_leased_recorded_and_trimmed(store: Store) -> None:
    closed = await store.create_webhook("http://127.0.0.1:9/closed", ("chat.closed",), "s1")
    other = await store.create_webhook("http://127.0.0.1:9/other", ("chat.started",), "s2")
    assert [hook.webhook_id for hook in await store.webhooks()] == [
        closed.webhook_id,
        other.webhook_id,
    ]
    for index in range(KEPT_DELIVERIES + 1):
        assert await store.queue_deliveries("chat.closed", f'{{"n": {index}}}') == 1
    assert await store.next_delivery_due() is not None
    leased = await store.lease_due_deliveries(60.0, limit=KEPT_DELIVERIES + 10)
    assert len(leased) == KEPT_DELIVERIES + 1
    assert {due.url for due in leased} == {closed.url}
    assert await store.lease_due_deliveries(60.0, limit=10) == []  # leased: not due again
    for due in leased:
        await store.record_attempt(
            due.delivery.delivery_id, delivered=True, status_code=200, error=None, retry_in=None
        )
    assert await store.next_delivery_due() is None
    # The next event trims the log: finished deliveries beyond the newest KEPT_DELIVERIES go.
    await store.queue_deliveries("chat.closed", '{"n": "last"}')
    kept = await store.recent_deliveries(closed.webhook_id, limit=1000)
    assert len(kept) == KEPT_DELIVERIES
    assert (kept[0].body, kept[0].status) == ('{"n": "last"}', "pending")
    assert all(d.attempts == 1 and d.last_status_code == 200 for d in kept[1:])
    assert await store.recent_deliveries(other.webhook_id, limit=10) == []
    await store.delete_webhook(closed.webhook_id)
    with pytest.raises(NotFound):
        await store.recent_deliveries(closed.webhook_id, limit=10)
