"""Social text read as words, a long message read clause by clause, off-topic replies (no model)."""

from __future__ import annotations

import numpy as np
import pytest

from supportflow.conversation.off_topic import categories_named, follows_off_topic, off_topic_text
from supportflow.conversation.reading import (
    Clause,
    clauses,
    fuse_readings,
    read_message,
    reports_attempt,
    says_attempted,
)
from supportflow.knowledge.article_examples import ExampleIndex
from supportflow.knowledge.base import DocumentSummary
from supportflow.knowledge.example_store import ExampleVectors
from supportflow.knowledge.retrieval import DocumentMatch, Retrieval
from supportflow.rooms.responder import Turn
from supportflow.social_text import readable, shouting, split_hashtag, unelongate


def test_handles_urls_and_entities_go_hashtags_become_words() -> None:
    text = "@NimbusHelp @12345 my bill &amp; plan are wrong https://t.co/abc #DoubleCharged"
    assert readable(text) == "my bill & plan are wrong double charged"


def test_mojibake_is_repaired() -> None:
    assert readable("I can\u00e2\u20ac\u2122t log in") == "I can't log in"


def test_emoji_dropped_for_retrieval_or_read_as_words() -> None:
    assert readable("no signal again \U0001f621\U0001f621") == "no signal again"
    assert "enraged face" in readable("no signal \U0001f621", emoji_words=True)


def test_elongated_words_fold_to_the_common_spelling() -> None:
    assert unelongate("sooo") == "so"
    assert unelongate("slooooow") == "slow"
    assert unelongate("pleeeease") == "please"
    assert unelongate("hellooo") == "hello"
    assert readable("wifi is SOOO slooow") == "wifi is SO slow"


def test_hashtag_split_keeps_numbers() -> None:
    assert split_hashtag("NoInternetAgain") == "no internet again"
    assert split_hashtag("Season2") == "season 2"


def test_an_email_address_is_not_a_handle_and_nothing_becomes_empty() -> None:
    assert readable("write to me at jo@example.com") == "write to me at jo@example.com"
    assert readable("@115911") == "@115911"


@pytest.mark.parametrize(
    ("text", "loud"),
    [
        ("PAY ATTENTION TO ME", True),
        ("WHY IS MY INTERNET DOWN AGAIN?!", True),
        ("switching from AT&T, can I keep my number?", False),
        ("my APN and SIM settings are wrong", False),
        ("OK", False),
        (
            "the last agent I spoke with on the phone basically told me there is NO MANAGER"
            " OR SUPERVISOR TO ESCALATE MY ISSUE TO!",
            True,
        ),
        ("I told them twice on the phone and again in the store: I DO NOT WANT THIS PLAN", True),
        ("please reset the APN SIM PIN PUK codes", False),
        ("check the LTE VPN DNS MMS settings on my new phone please", False),
        ("is the NO SIM error on my phone", False),
    ],
)
def test_shouting_is_most_words_or_a_phrase_in_capitals(text: str, loud: bool) -> None:
    assert shouting(text) is loud


def test_clauses_split_sentences_and_but_and_skip_fragments() -> None:
    text = "Hi. Been with you six years and this is a joke. My phone says no service since 8am!"
    assert [c.text for c in clauses(text)] == [
        "Been with you six years and this is a joke.",
        "My phone says no service since 8am!",
    ]
    split = clauses("I restarted the router but it is still slow")
    assert split == [Clause("I restarted the router", True), Clause("it is still slow", False)]


@pytest.mark.parametrize(
    ("clause", "attempted"),
    [
        ("I already turned it off and on again", True),
        ("tried resetting the network settings", True),
        ("we've done everything you said", True),
        ("how do I reset my voicemail PIN", False),
        ("I moved house last week", False),
        ("Already called twice about it", True),
        ("it says my email is already taken", False),
        ("what if it has already shipped?", False),
        ("I need a new address, how could I do it?", False),
    ],
)
def test_attempts_are_told_by_their_grammar(clause: str, attempted: bool) -> None:
    assert says_attempted(clause) is attempted


def _reading(question: str, *doc_ids: str) -> Retrieval:
    return Retrieval(
        question,
        tuple(
            DocumentMatch(doc_id, doc_id, "", 0.6 - i / 10, 1.2 - i / 10, (), ())
            for i, doc_id in enumerate(doc_ids)
        ),
    )


def test_a_question_after_a_complaint_is_not_drowned() -> None:
    whole = _reading("all", "rant", "no-signal", "other")
    complaint = (Clause("this is a joke", False), _reading("c", "rant", "other"))
    question = (Clause("my phone says no service", False), _reading("q", "no-signal", "x"))
    other = (Clause("it started this morning", False), _reading("q2", "no-signal", "x"))
    fused = fuse_readings(whole, [complaint, question, other])
    assert [doc.doc_id for doc in fused.documents][:2] == ["no-signal", "rant"]


def test_the_article_already_tried_falls_below_the_next_step() -> None:
    whole = _reading("all", "restart", "outage", "slow")
    tried = (Clause("I already restarted it", True), _reading("t", "restart", "slow"))
    problem = (Clause("still no internet", False), _reading("p", "restart", "outage"))
    fused = fuse_readings(whole, [tried, problem])
    assert [doc.doc_id for doc in fused.documents][:2] == ["outage", "restart"]


async def test_a_one_clause_message_is_searched_once_as_it_is() -> None:
    searched: list[tuple[str, bool]] = []

    async def search(text: str, max_documents: int = 5, with_examples: bool = False) -> Retrieval:
        searched.append((text, with_examples))
        return _reading(text, "a")

    reading = await read_message(search, "how do I set up voicemail")
    assert searched == [("how do I set up voicemail", True)]
    assert [doc.doc_id for doc in reading.documents] == ["a"]
    message = "Awful week again. How do I set up voicemail?"
    await read_message(search, message)
    # Only the whole message asks for the articles by their examples.
    assert searched[1:] == [
        (message, True),
        ("Awful week again.", False),
        ("How do I set up voicemail?", False),
    ]


def _with_examples(reading: Retrieval, *doc_ids: str) -> Retrieval:
    return Retrieval(reading.question, reading.documents, _reading("e", *doc_ids).documents)


async def test_the_articles_customers_word_it_like_are_one_more_reading() -> None:
    # Second for the whole message and first by its examples: first overall, as a clause
    # agreeing with it would make it.
    whole = _with_examples(_reading("all", "restart", "outage", "slow"), "outage")

    async def search(text: str, max_documents: int = 5, with_examples: bool = False) -> Retrieval:
        return whole

    fused = await read_message(search, "everyone on my street is down")
    assert [doc.doc_id for doc in fused.documents] == ["outage", "restart", "slow"]
    assert fused.by_examples == ()  # a fused reading is a ranking, not a search to fuse again


def test_the_examples_reading_weighs_a_clause_not_the_whole_message() -> None:
    whole = _with_examples(_reading("all", "restart", "outage"), "outage", "restart")
    clause = (Clause("my internet keeps dropping", False), _reading("c", "restart", "x"))
    fused = fuse_readings(whole, [clause])
    assert [doc.doc_id for doc in fused.documents][:2] == ["restart", "outage"]


def test_an_article_only_its_examples_found_joins_the_ranking_below_the_whole() -> None:
    whole = _with_examples(_reading("all", "a", "b"), "f", "g", "h")
    assert [doc.doc_id for doc in fuse_readings(whole, []).documents] == ["a", "b", "f"]
    # No more articles than the longest reading: a full ranking keeps its five.
    full = _with_examples(_reading("all", "a", "b", "c", "d", "e"), "f")
    assert [doc.doc_id for doc in fuse_readings(full, []).documents] == ["a", "b", "c", "d", "e"]


def test_off_topic_names_the_largest_categories_and_remembers_it_asked() -> None:
    catalogue = [
        DocumentSummary(f"{category}-{i}", "t", category, 1, "")
        for category, count in (("billing", 3), ("home-internet", 2), ("roaming", 1))
        for i in range(count)
    ]
    named = categories_named(catalogue)
    assert named == ["billing", "home internet", "roaming"]
    assert "about billing, home internet and roaming." in off_topic_text(named)
    asked = Turn("bot", "...", {"act": "off_topic"})
    assert follows_off_topic([Turn("user", "weather?"), asked, Turn("user", "pizza?")])
    assert not follows_off_topic([asked, Turn("bot", "an answer", {})])
    assert not follows_off_topic([])


def test_a_reported_attempt_is_found_in_any_clause() -> None:
    assert reports_attempt("No internet since 8. I already restarted the router twice.")
    assert reports_attempt("I restarted the router but it is still slow")
    assert not reports_attempt("how do I restart my router?")


def test_an_attempt_is_only_the_words_that_tell_it() -> None:
    refund = "Either refund my money or provide the services for which I have already paid."
    assert [(c.text, c.attempted) for c in clauses(refund)] == [
        ("Either refund my money or provide the services for which", False),
        ("I have already paid.", True),
    ]
    # What follows the attempt's "and" is the problem, read like any clause.
    again = "I tried again and the download speed hovered at 5 mbps and failed."
    assert [(c.text, c.attempted) for c in clauses(again)] == [
        ("the download speed hovered at 5 mbps and failed.", False)
    ]
    # Still an attempt for the hand-over, however short the words that tell it.
    assert reports_attempt(again)


def test_examples_reorder_only_the_places_of_articles_that_have_them() -> None:
    # Rows of one article need not be together.
    index = ExampleIndex(
        ExampleVectors(("c", "b", "c"), np.asarray([[1, 0], [0, 1], [0.6, 0.8]], np.float32))
    )
    assert index.closest([0.0, 1.0]) == pytest.approx({"b": 1.0, "c": 0.8})
    found = _reading("q", "a", "b", "x", "c").documents
    # "c" is closer to the question than "b": they swap; "a" and "x" have none and stay.
    assert [doc.doc_id for doc in index.reorder([1.0, 0.0], found)] == ["a", "c", "x", "b"]
    assert index.reorder([1.0, 0.0], _reading("q", "a", "x").documents) == []
    assert ExampleIndex().reorder([1.0, 0.0], found) == []
    # An agent's confirmed (learned) example is an example of its article too.
    learned = index.reorder([0.0, 1.0], found, {"x": 0.9})
    assert [doc.doc_id for doc in learned] == ["a", "b", "x", "c"]
