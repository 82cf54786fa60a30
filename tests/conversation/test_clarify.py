"""Picking a suggestion, and reading the pending clarifying question from the transcript."""

from __future__ import annotations

from supportflow.conversation.clarify import pending_from, picked, question_text
from supportflow.rooms.responder import Source, Turn

OFFERED = (
    Source("esim", "Activating an eSIM", 0.5),
    Source("sim", "SIM card not detected", 0.5),
    Source("apn", "APN settings for mobile data", 0.4),
)


def test_the_customer_picks_by_title_number_or_words() -> None:
    assert picked("Activating an eSIM", OFFERED) == OFFERED[0]
    assert picked("sim card not detcted", OFFERED) == OFFERED[1]
    assert picked("the second one", OFFERED) == OFFERED[1]
    assert picked("3", OFFERED) == OFFERED[2]
    assert picked("APN settings", OFFERED) == OFFERED[2]


def test_a_new_question_is_not_a_pick() -> None:
    assert picked("none of these", OFFERED) is None
    assert picked("how much does roaming in Spain cost per day?", OFFERED) is None
    assert picked("4", OFFERED) is None


def test_pending_is_the_last_bot_message_only() -> None:
    asking = Turn(
        "bot",
        question_text(OFFERED),
        {"query": "sim", "suggestions": [{"id": s.id, "title": s.title} for s in OFFERED]},
    )
    pending = pending_from([Turn("user", "sim"), asking])
    assert pending is not None and pending.query == "sim"
    assert [s.id for s in pending.suggestions] == ["esim", "sim", "apn"]
    answered = Turn("bot", "an answer", {"query": "x", "suggestions": []})
    assert pending_from([asking, Turn("user", "1"), answered]) is None
    assert pending_from([]) is None


def test_the_question_lists_every_title() -> None:
    assert question_text(OFFERED).endswith(
        "Activating an eSIM, SIM card not detected or APN settings for mobile data?"
    )
