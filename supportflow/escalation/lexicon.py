"""Word and phrase matching for the escalation rules: whole words, typos, negation.

Text is split into word tokens; both sides of a comparison are lightly stemmed
("cancelling", "cancelled", "cancels" -> "cancel"), so a rule lists one form per word. A
message word that is not a real English word may be one typo away (two for long words) from a
rule word ("refnud", "cancle", "angyr"); a real word only matches exactly, so "cancer" never
reads as "cancel". A term is negated when a negator ("not", "never", "n't", ...) precedes it
within a few words of the same clause: "I'm not angry" is not anger, "not working" (a phrase
that contains its own negator) still is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from supportflow.text import (
    CLAUSE_BREAKS,
    LOOSE_TYPO_MIN_LETTERS,
    STRICT_TYPO_MIN_LETTERS,
    allowed_edits,
    edit_distance,
    rule_stem,
    tokenize,
)

_MATCH_CACHE_SIZE = 200_000


@dataclass(frozen=True)
class Hit:
    """Where a term matched: token positions [start, end)."""

    term: str
    start: int
    end: int


class Lexicon:
    """A set of terms (words or phrases) matched against tokenised text."""

    def __init__(self, terms: Iterable[str], known_words: frozenset[str] = frozenset()) -> None:
        self._terms = [(term, [(w, rule_stem(w)) for w in tokenize(term)]) for term in terms]
        self._known_words = known_words
        # (message token, rule word) -> match. Matching is a pure function of the two, and
        # the typo check behind it (edit distances) dominated the cost of a bot turn; the
        # same everyday words recur in every message, so most lookups are hits.
        self._matches: dict[tuple[str, str], bool] = {}

    def find(self, tokens: Sequence[str]) -> list[Hit]:
        """Every occurrence of every term in `tokens`."""
        hits: list[Hit] = []
        for term, parts in self._terms:
            if not parts:
                continue
            for start in range(len(tokens) - len(parts) + 1):
                if all(self._cached_match(tokens[start + i], part) for i, part in enumerate(parts)):
                    hits.append(Hit(term, start, start + len(parts)))
        return hits

    def _cached_match(self, token: str, term_word: tuple[str, str]) -> bool:
        key = (token, term_word[0])
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) >= _MATCH_CACHE_SIZE:
                self._matches.clear()  # bounded: rare words must not grow it forever
            found = self._matches[key] = self._word_matches(token, term_word)
        return found

    def _word_matches(self, token: str, term_word: tuple[str, str]) -> bool:
        word, word_stem = term_word
        token_stem = rule_stem(token)
        if token_stem == word_stem:
            return True
        if token in self._known_words or token in CLAUSE_BREAKS:
            return False
        # Compare raw forms too: stemming a typo ("caess") can hide how close it is.
        limit = min(
            allowed_edits(token, LOOSE_TYPO_MIN_LETTERS),
            allowed_edits(word, LOOSE_TYPO_MIN_LETTERS),
        )
        if limit > 0 and edit_distance(token, word, limit) <= limit:
            return True
        # Stems are shorter, so they need a longer minimum ("shiping" is not "shit").
        stem_limit = min(
            allowed_edits(token_stem, STRICT_TYPO_MIN_LETTERS),
            allowed_edits(word_stem, STRICT_TYPO_MIN_LETTERS),
        )
        return stem_limit > 0 and edit_distance(token_stem, word_stem, stem_limit) <= stem_limit


class Negation:
    """Decides whether a hit is negated by a preceding negator in the same clause."""

    def __init__(self, negators: Iterable[str], window: int, breakers: Iterable[str]) -> None:
        self._negators = frozenset(n.lower() for n in negators)
        self._window = window
        self._breakers = frozenset(b.lower() for b in breakers) | CLAUSE_BREAKS

    def is_negator(self, token: str) -> bool:
        return token in self._negators or token.endswith("n't")

    def negated(self, tokens: Sequence[str], hit: Hit) -> bool:
        # A phrase that carries its own negator ("not working") is affirmative as a whole.
        if any(self.is_negator(token) for token in tokens[hit.start : hit.end]):
            return False
        for index in range(hit.start - 1, max(-1, hit.start - self._window - 1), -1):
            if tokens[index] in self._breakers:
                return False
            if self.is_negator(tokens[index]):
                return True
        return False


def near(first: Hit, second: Hit, window: int) -> bool:
    """`second` starts after `first` ends, at most `window` tokens later."""
    return 0 <= second.start - first.end <= window
