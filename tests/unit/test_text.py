"""The shared text helpers, typo repair and the lexicon's word matching, without the model."""

from __future__ import annotations

import pytest

from supportflow.escalation.lexicon import Hit, Lexicon, WordMatcher
from supportflow.knowledge.spelling import Vocabulary
from supportflow.text import (
    LOOSE_TYPO_MIN_LETTERS,
    STRICT_TYPO_MIN_LETTERS,
    allowed_edits,
    edit_distance,
    inflection_stem,
    stem,
    tokenize,
    within_edits,
)

KNOWN = frozenset({"cancer", "photo", "my", "the", "i", "want", "to"})


def test_tokenize_keeps_apostrophes_and_clause_punctuation() -> None:
    assert tokenize("I don\u2019t want add-on, ok?") == [
        "i",
        "don't",
        "want",
        "add",
        "on",
        ",",
        "ok",
        "?",
    ]


@pytest.mark.parametrize(
    ("word", "min_letters", "edits"),
    [
        ("cat", LOOSE_TYPO_MIN_LETTERS, 0),
        ("chat", LOOSE_TYPO_MIN_LETTERS, 1),
        ("chat", STRICT_TYPO_MIN_LETTERS, 0),
        ("cancellation", STRICT_TYPO_MIN_LETTERS, 2),
    ],
)
def test_allowed_edits(word: str, min_letters: int, edits: int) -> None:
    assert allowed_edits(word, min_letters) == edits


def test_edit_distance_counts_a_transposition_as_one_edit() -> None:
    assert edit_distance("cancle", "cancel", 1) == 1
    assert edit_distance("abcdef", "uvwxyz", 2) == 3  # capped at limit + 1


def test_within_edits_lists_close_choices_closest_first() -> None:
    choices = ["round", "refund", "refunds", "fund"]
    assert within_edits("refnd", choices, 2) == [(1, 1), (0, 2), (2, 2)]
    assert within_edits("zzzzz", choices, 1) == []


def test_typo_repair_picks_the_unique_closest_word() -> None:
    vocabulary = Vocabulary(["refund", "account", "roaming", "charge", "change"], KNOWN)
    assert vocabulary.clean_query("refnd to my acount") == "refund to my account"
    # Two words one edit away: ambiguous, left as typed.
    assert vocabulary.correct("chanrge") == "chanrge"
    # A real word is never "repaired", nor a short one.
    assert vocabulary.correct("cancer") == "cancer"
    assert vocabulary.correct("chrg") == "chrg"
    assert vocabulary.clean_query("order #12345 refnd") == "order refund"


def test_matcher_tolerates_typos_in_unknown_words_only() -> None:
    matcher = WordMatcher(["cancel", "angry", "refund"], KNOWN)
    assert matcher.matches("cancelling") == {"cancel"}
    assert matcher.matches("cancle") == {"cancel"}
    assert matcher.matches("cancer") == frozenset()
    assert matcher.matches("refnud") == {"refund"}


def test_lexicon_finds_phrases_in_term_order() -> None:
    matcher = WordMatcher(["get", "rid", "of", "cancel"], KNOWN)
    lexicon = Lexicon(["get rid of", "cancel"], matcher)
    tokens = tokenize("cancel it, get rid of it and cancle")
    assert lexicon.find(tokens) == [
        Hit("get rid of", 3, 6),
        Hit("cancel", 0, 1),
        Hit("cancel", 8, 9),
    ]


def test_lexicon_refuses_words_its_matcher_does_not_know() -> None:
    with pytest.raises(ValueError, match="does not know"):
        Lexicon(["close account"], WordMatcher(["close"], KNOWN))


def test_bm25_stem_is_snowball_and_rule_stem_keeps_derivations_apart() -> None:
    assert stem("charges") == stem("charged") == stem("charging")
    assert inflection_stem("cancelling") == inflection_stem("cancels") == "cancel"
    # The rules read "cancellation" (a topic asked about) apart from "cancel" (a request).
    assert inflection_stem("cancellation") != "cancel"
