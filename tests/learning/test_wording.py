"""What of a chat becomes a learned example, and which links in an agent's message count."""

from __future__ import annotations

from typing import Any

from supportflow.learning.examples import MAX_CUSTOMER_MESSAGES, customer_wording, linked_articles
from supportflow.store import MessageRecord


def message(seq: int, sender: str, body: str, **metadata: Any) -> MessageRecord:
    return MessageRecord("room", seq, sender, None, body, None, metadata, "2026-01-01T00:00:00Z")


def test_the_questions_before_the_agent_spoke_without_small_talk() -> None:
    chat = [
        message(1, "user", "hi there"),
        message(2, "bot", "Hello! How can I help?", act="greeting"),
        message(3, "user", "my mom in Toronto gets charged when she calls me"),
        message(4, "bot", "I'm bringing in a member of our team."),
        message(5, "system", "You are number 1 in the queue."),
        message(6, "user", "  every single time  "),
        message(7, "agent", "Hi, I'm Ann. Let me look."),
        message(8, "user", "thanks"),
    ]
    assert customer_wording(chat) == (
        "my mom in Toronto gets charged when she calls me\nevery single time"
    )


def test_only_the_last_few_questions_and_nothing_when_none() -> None:
    chat = [message(i, "user", f"question {i}") for i in range(1, 6)]
    kept = customer_wording(chat).split("\n")
    assert kept == [f"question {i}" for i in range(6 - MAX_CUSTOMER_MESSAGES, 6)]
    assert customer_wording([message(1, "agent", "hello?")]) == ""
    assert customer_wording([]) == ""


def test_help_links_in_any_form_once_each() -> None:
    text = (
        "See [International calling](/help/calls-international-calling-from-the-us), or"
        " http://127.0.0.1:5000/help/roaming-travel-passes and again"
        " /help/calls-international-calling-from-the-us. Also /help/odd%20id."
    )
    assert linked_articles(text) == [
        "calls-international-calling-from-the-us",
        "roaming-travel-passes",
        "odd id",
    ]
    assert linked_articles("no links, just /helpdesk and help/me") == []
