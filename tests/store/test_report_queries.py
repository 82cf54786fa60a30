"""The admin reports' SQL on both engines: one known range, every figure."""

from __future__ import annotations

import asyncio

from supportflow.store import RoomState, Store, utc_in, utc_now

S = RoomState


async def test_every_report_figure_over_a_known_range(store: Store) -> None:
    await store.create_agent("ann", "Ann", "d-ann", 3, True)
    before = utc_now()
    await asyncio.sleep(0.01)  # utc_now() counts milliseconds: the range starts after this
    since = utc_now()
    # Resolved by the bot, with an unanswered question and a thumbs down on its reply.
    bot_room = (await store.create_session("u1", "d-u1")).room_id
    await store.append_message(bot_room, "user", "u1", "why is my bill high?")
    await store.append_message(
        bot_room, "bot", None, "I am not sure.", metadata={"reasons": ["low_confidence"]}
    )
    await store.append_message(bot_room, "user", "u1", "thanks")
    await store.append_message(bot_room, "bot", None, "You're welcome!", metadata={})
    await store.record_feedback(bot_room, 2, "down")
    await store.record_feedback(bot_room, 4, "up")
    await store.set_room_state(bot_room, S.CLOSED, (S.BOT_ACTIVE,))
    # Escalated for two reasons, claimed, released by closing, rated.
    agent_room = (await store.create_session("u2", "d-u2")).room_id
    await store.open_escalation(agent_room, ("asked", "negative"), (S.BOT_ACTIVE,))
    await store.claim_room(agent_room, "ann", (S.ESCALATING,))
    await store.set_room_state(agent_room, S.CLOSED, (S.AGENT_ASSIGNED,))
    await store.rate_room(agent_room, 4, None)
    # Still open, waiting in the queue.
    waiting = (await store.create_session("u3", "d-u3")).room_id
    await store.open_escalation(waiting, ("asked",), (S.BOT_ACTIVE,))
    until = utc_in(1)

    counts = await store.chat_counts(since, until)
    assert (counts.chats, counts.closed, counts.bot_resolved) == (3, 2, 1)
    day = since[:10]
    assert await store.escalations_by_day_and_reason(since, until) == [
        (day, "asked", 2),
        (day, "negative", 1),
    ]
    assert await store.escalation_total(since, until) == 2
    waits = await store.claim_waits(since, until)
    assert len(waits) == 1 and 0 <= waits[0] < 60
    handled = await store.handle_times(since, until)
    assert [h.agent_id for h in handled] == ["ann"] and 0 <= handled[0].seconds < 60
    ratings = await store.rating_counts(since, until)
    assert (ratings.count, ratings.average, ratings.by_score) == (1, 4.0, {4: 1})
    thumbs = await store.thumb_counts(since, until)
    assert (thumbs.up, thumbs.down) == (1, 1)
    unanswered = await store.unanswered_questions(since, until, limit=10)
    assert [(q.room_id, q.text, q.why) for q in unanswered] == [
        (bot_room, "why is my bill high?", "low_confidence")
    ]
    # Nothing happened before the range.
    assert (await store.chat_counts(before, since)).chats == 0
    assert await store.escalation_total(before, since) == 0
    assert await store.unanswered_questions(before, since, limit=10) == []
