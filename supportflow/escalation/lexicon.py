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
    inflection_stem,
    tokenize,
    within_edits,
)

_MATCH_CACHE_SIZE = 50_000


@dataclass(frozen=True)
class Hit:
    """Where a term matched: token positions [start, end)."""

    term: str
    start: int
    end: int


class WordMatcher:
    """Which rule words a message word stands for: same stem, or a typo of one.

    Built once over every word of every rule, so a message word is compared with all of
    them in two rapidfuzz calls (raw forms, then stems) and the answer is remembered: the
    same everyday words recur in every message, so most lookups are cache hits.
    """

    def __init__(self, rule_words: Iterable[str], known_words: frozenset[str]) -> None:
        self._word_set = frozenset(rule_words)
        self._words = sorted(self._word_set)
        self._stems = [inflection_stem(word) for word in self._words]
        self._by_stem: dict[str, list[str]] = {}
        for word, word_stem in zip(self._words, self._stems, strict=True):
            self._by_stem.setdefault(word_stem, []).append(word)
        self._known_words = known_words
        self._matches: dict[str, frozenset[str]] = {}

    def __contains__(self, word: object) -> bool:
        return word in self._word_set

    def matches(self, token: str) -> frozenset[str]:
        """The rule words `token` matches (cached; a pure function of the token)."""
        found = self._matches.get(token)
        if found is None:
            if len(self._matches) >= _MATCH_CACHE_SIZE:
                self._matches.clear()  # bounded: rare words must not grow it forever
            found = self._matches[token] = self._find(token)
        return found

    def _find(self, token: str) -> frozenset[str]:
        token_stem = inflection_stem(token)
        found = set(self._by_stem.get(token_stem, ()))
        # A real word only matches exactly: "cancer" never reads as "cancel".
        if token in self._known_words or token in CLAUSE_BREAKS:
            return frozenset(found)
        # Raw forms too: stemming a typo ("caess") can hide how close it is. Both words
        # must be long enough for the distance found ("cat" is not "chat").
        limit = allowed_edits(token, LOOSE_TYPO_MIN_LETTERS)
        if limit > 0:
            for index, distance in within_edits(token, self._words, limit):
                if distance <= allowed_edits(self._words[index], LOOSE_TYPO_MIN_LETTERS):
                    found.add(self._words[index])
        # Stems are shorter, so they need a longer minimum ("shiping" is not "shit").
        stem_limit = allowed_edits(token_stem, STRICT_TYPO_MIN_LETTERS)
        if stem_limit > 0:
            for index, distance in within_edits(token_stem, self._stems, stem_limit):
                if distance <= allowed_edits(self._stems[index], STRICT_TYPO_MIN_LETTERS):
                    found.add(self._words[index])
        return frozenset(found)


class Lexicon:
    """A set of terms (words or phrases) matched against tokenised text."""

    def __init__(self, terms: Iterable[str], matcher: WordMatcher) -> None:
        self._matcher = matcher
        # Terms by their first word: only terms whose first word matched a token are tried.
        self._by_first_word: dict[str, list[tuple[int, str, tuple[str, ...]]]] = {}
        for order, term in enumerate(terms):
            parts = tuple(tokenize(term))
            missing = [word for word in parts if word not in matcher]
            if missing:
                raise ValueError(f"the matcher does not know the words {missing} of {term!r}")
            if parts:
                self._by_first_word.setdefault(parts[0], []).append((order, term, parts))

    def find(self, tokens: Sequence[str]) -> list[Hit]:
        """Every occurrence of every term in `tokens`, in term order then position."""
        matched = [self._matcher.matches(token) for token in tokens]
        found: list[tuple[int, Hit]] = []
        for start, words in enumerate(matched):
            for word in words:
                for order, term, parts in self._by_first_word.get(word, ()):
                    end = start + len(parts)
                    if end <= len(tokens) and all(
                        parts[offset] in matched[start + offset] for offset in range(1, len(parts))
                    ):
                        found.append((order, Hit(term, start, end)))
        found.sort(key=lambda item: (item[0], item[1].start))
        return [hit for _, hit in found]


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
