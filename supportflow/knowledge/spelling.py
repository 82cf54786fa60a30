"""Query clean-up before retrieval: drop identifiers, repair typos against the KB's words.

Customers type fast: "refnd", "acount", "chdcking". A word that is neither in the knowledge
base nor a known English word (the embedding model's whole-word vocabulary), one edit away
(two for words of ten letters or more) from exactly one word the knowledge base contains, is
replaced by that word. Long digit runs (order, account and phone numbers) carry no topic and
only add noise to the query vector, so they are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_IDENTIFIER = re.compile(r"[#$]?\b\d[\d\-\s]{3,}\d\b|#\s*\d+")
_MIN_CORRECTABLE = 5


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at `limit + 1`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = 0 if char_a == char_b else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def allowed_edits(word: str) -> int:
    """How many edits a word of this length may be from its correction."""
    if len(word) < _MIN_CORRECTABLE:
        return 0
    return 1 if len(word) < 10 else 2


class Vocabulary:
    """The words of the knowledge base, for typo repair."""

    def __init__(self, words: Iterable[str], known_words: frozenset[str] = frozenset()) -> None:
        self._words = frozenset(w.lower() for w in words)
        self._known = known_words
        self._by_length: dict[int, list[str]] = {}
        for word in self._words:
            self._by_length.setdefault(len(word), []).append(word)

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], known_words: frozenset[str] = frozenset()
    ) -> Vocabulary:
        words = (word for text in texts for word in _WORD.findall(text) if len(word) > 1)
        return cls(words, known_words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self._words

    def correct(self, word: str) -> str:
        """The unique closest KB word within the allowed edits, else the word itself."""
        lower = word.lower()
        limit = allowed_edits(lower)
        if limit == 0 or lower in self._words or lower in self._known:
            return word
        best: list[str] = []
        best_distance = limit + 1
        for length in range(len(lower) - limit, len(lower) + limit + 1):
            for candidate in self._by_length.get(length, ()):
                distance = edit_distance(lower, candidate, limit)
                if distance < best_distance:
                    best, best_distance = [candidate], distance
                elif distance == best_distance and distance <= limit:
                    best.append(candidate)
        return best[0] if len(best) == 1 else word

    def clean_query(self, text: str) -> str:
        """`text` without identifiers and with unknown words repaired."""
        without_ids = " ".join(_IDENTIFIER.sub(" ", text).split())
        return _WORD.sub(lambda match: self.correct(match.group(0)), without_ids) or text
