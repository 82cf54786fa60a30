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

from supportflow.text import LETTER_WORD, STRICT_TYPO_MIN_LETTERS, allowed_edits, within_edits

_IDENTIFIER = re.compile(r"[#$]?\b\d[\d\-\s]{3,}\d\b|#\s*\d+")


class Vocabulary:
    """The words of the knowledge base, for typo repair."""

    def __init__(self, words: Iterable[str], known_words: frozenset[str] = frozenset()) -> None:
        self._words = frozenset(w.lower() for w in words)
        self._known = known_words
        self._choices = sorted(self._words)

    @classmethod
    def from_texts(
        cls, texts: Iterable[str], known_words: frozenset[str] = frozenset()
    ) -> Vocabulary:
        words = (word for text in texts for word in LETTER_WORD.findall(text) if len(word) > 1)
        return cls(words, known_words)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and word.lower() in self._words

    def correct(self, word: str) -> str:
        """The unique closest KB word within the allowed edits, else the word itself."""
        lower = word.lower()
        limit = allowed_edits(lower, STRICT_TYPO_MIN_LETTERS)
        if limit == 0 or lower in self._words or lower in self._known:
            return word
        found = within_edits(lower, self._choices, limit)
        closest = [index for index, distance in found if distance == found[0][1]]
        return self._choices[closest[0]] if len(closest) == 1 else word

    def clean_query(self, text: str) -> str:
        """`text` without identifiers and with unknown words repaired."""
        without_ids = " ".join(_IDENTIFIER.sub(" ", text).split())
        return LETTER_WORD.sub(lambda match: self.correct(match.group(0)), without_ids) or text
