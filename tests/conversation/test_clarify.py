"""Picking a suggestion, reading the pending clarifying question from the transcript, and
when a close call between two topics is asked about."""

from __future__ import annotations

import pytest

from supportflow.conversation.clarify import (
    close_call,
    pending_from,
    picked,
    question_text,
    topic_lead,
)
from supportflow.knowledge.retrieval import DocumentMatch, Retrieval
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


def ranked(*docs: tuple[str, str, float]) -> Retrieval:
    """A retrieval of (id, title, rank score), best first."""
    return Retrieval(
        "q",
        tuple(DocumentMatch(i, title, "c", score / 2, score, (), ()) for i, title, score in docs),
    )


def test_a_close_call_between_two_topics_asks_about_both() -> None:
    retrieval = ranked(
        ("get", "Get invoice", 1.06), ("check", "Check invoice", 1.04), ("refund", "Refunds", 0.7)
    )
    assert topic_lead(retrieval) == pytest.approx(0.02)
    assert [s.id for s in close_call(retrieval)] == ["get", "check"]


def test_a_clear_lead_or_a_copy_of_the_same_article_is_no_close_call() -> None:
    clear = ranked(("get", "Get invoice", 1.2), ("check", "Check invoice", 1.1))
    assert close_call(clear) == ()
    # Two versions of one article are one topic: the lead that counts is over the next one.
    copies = ranked(
        ("get-1", "Get invoice (answer 1)", 1.2),
        ("get-2", "Get invoice (answer 2)", 1.19),
        ("check", "Check invoice", 1.1),
    )
    assert topic_lead(copies) == pytest.approx(0.1)
    assert close_call(copies) == ()
    assert topic_lead(ranked(("get", "Get invoice", 1.2))) is None
    assert close_call(ranked()) == ()


def test_a_negative_margin_never_asks() -> None:
    tie = ranked(("get", "Get invoice", 1.0), ("check", "Check invoice", 1.0))
    assert close_call(tie, margin=-1.0) == ()
    assert len(close_call(tie)) == 2
