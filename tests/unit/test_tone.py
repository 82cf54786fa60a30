"""A clearly negative tone is frustration; a how-to question about a problem is not (no model)."""

from __future__ import annotations

import pytest

from supportflow.conversation.off_topic import is_off_topic
from supportflow.escalation.tone import said_tone, sounds_negative
from supportflow.knowledge.retrieval import DocumentMatch, Retrieval


@pytest.mark.parametrize(
    "text",
    [
        "They wanted $75 to switch 3 phones! I said no way! Inconsistent messaging - shame!",
        "yet in 2017 we are facing very poor network in my village",
        "Is anyone else having problems with their phone saying no service?",
        "this company is a disgrace and I regret ever signing up",
    ],
)
def test_a_complaint_in_words_no_rule_lists_sounds_negative(text: str) -> None:
    assert sounds_negative(text)
    assert said_tone(text) <= -0.5


@pytest.mark.parametrize(
    "text",
    [
        "I have a problem setting up my delivery address",
        "what is the cancellation penalty",
        "will I lose my cart?",
        # A how-to question's words are its topic's: "scam" is not the customer's tone.
        "how do I block scam calls?",
        "what happens if my phone is stolen?",
        "my internet is slow in the evening, how do I test it?",
        "thanks, that fixed it!",
    ],
)
def test_a_question_about_a_problem_is_not_a_negative_tone(text: str) -> None:
    assert not sounds_negative(text)


def _far_from_everything(question: str) -> Retrieval:
    """A retrieval whose best article is far from the message (evidence ~0.1)."""
    doc = DocumentMatch("roaming", "Roaming", "roaming", 0.1, 0.2, (), ())
    return Retrieval(question, (doc,))


def test_only_short_chatter_is_off_topic_a_long_uncovered_need_is_not() -> None:
    short = "go Astros!"
    long = "the World Series is on tonight and your service is out in my whole neighborhood again"
    assert is_off_topic(short, _far_from_everything(short))
    assert not is_off_topic(long, _far_from_everything(long))
