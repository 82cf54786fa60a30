"""Cited sources: each article once, other versions of it after the distinct articles."""

from __future__ import annotations

from supportflow.bot.sources import Citations, citations, cited_sources
from supportflow.knowledge.retrieval import DocumentMatch
from supportflow.knowledge.titles import same_title


def match(doc_id: str, title: str, similarity: float) -> DocumentMatch:
    return DocumentMatch(doc_id, title, "test", similarity, similarity, (), ())


def test_two_versions_of_one_article_leave_room_for_the_next() -> None:
    ranked = [
        match("cancel-1", "Cancel order (answer 1)", 0.55),
        match("cancel-2", "Cancel order (answer 2)", 0.53),
        match("policy", "Check refund policy", 0.54),
        match("fee", "Check cancellation fee", 0.49),
    ]
    cited = cited_sources(ranked)
    assert [source.id for source in cited] == ["cancel-1", "policy", "fee"]
    assert cited[0].title == "Cancel order (answer 1)"
    assert cited[0].score == 0.55


def test_copies_fill_in_when_there_are_too_few_distinct_articles() -> None:
    ranked = [
        match("a-1", "Refunds (answer 1)", 0.6),
        match("a-2", "Refunds (answer 2)", 0.6),
        match("b", "Roaming abroad", 0.4),
    ]
    assert [source.id for source in cited_sources(ranked)] == ["a-1", "b", "a-2"]
    assert [source.id for source in cited_sources(ranked, limit=2)] == ["a-1", "b"]
    assert cited_sources([]) == ()


def test_distinct_titles_keep_their_rank_order() -> None:
    ranked = [
        match("roaming", "International roaming", 0.7),
        match("passes", "Travel passes", 0.6),
        match("calls", "Calling abroad from home", 0.5),
        match("esim", "Activating an eSIM", 0.4),
    ]
    assert [source.id for source in cited_sources(ranked)] == ["roaming", "passes", "calls"]


def test_same_title_is_near_identical_text_not_a_shared_topic() -> None:
    assert same_title("Create account (answer 1)", "Create account (answer 2)")
    assert same_title("Setting up voicemail", "Setting up voicemail")
    assert not same_title("Create account", "Delete account")
    assert not same_title("International roaming", "International calling")
    assert same_title("Refunds (answer 1)", "refunds: answer 2")
    assert not same_title("Plan A", "Plan B")


def ranked_match(doc_id: str, title: str, rank: float) -> DocumentMatch:
    return DocumentMatch(doc_id, title, "test", rank / 2, rank, (), ())


RANKED = [
    ranked_match("voicemail", "Setting up voicemail", 1.4),
    ranked_match("voicemail-copy", "Setting up voicemail (2)", 1.39),
    ranked_match("pin", "Resetting your PIN", 1.3),
    ranked_match("spam", "Blocking spam calls", 1.0),
    ranked_match("esim", "Setting up an eSIM", 0.9),
]


def test_a_reply_cites_only_what_it_quotes_and_offers_what_is_close() -> None:
    named = citations(["voicemail"], RANKED, quoted=True, offered=True)
    assert [s.id for s in named.sources] == ["voicemail"]
    # Its copy is no alternative; "spam" and "esim" are too far below the best.
    assert [s.id for s in named.related] == ["pin"]
    assert [s.id for s in named.considered] == ["voicemail", "pin", "spam"]


def test_a_hand_over_quotes_nothing_and_offers_nothing() -> None:
    named = citations(["voicemail"], RANKED, quoted=False, offered=False)
    assert (named.sources, named.related) == ((), ())
    assert [s.id for s in named.considered] == ["voicemail", "pin", "spam"]
    answered_then_escalated = citations(["voicemail"], RANKED, quoted=True, offered=False)
    assert [s.id for s in answered_then_escalated.sources] == ["voicemail"]
    assert answered_then_escalated.related == ()


def test_only_retrieved_ids_are_cited_once_each_in_the_answer_s_order() -> None:
    named = citations(["pin", "ghost", "voicemail", "pin"], RANKED, quoted=True, offered=True)
    assert [s.id for s in named.sources] == ["pin", "voicemail"]
    assert citations([], [], quoted=True, offered=True) == Citations()
