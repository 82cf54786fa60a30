"""Text helpers shared by the knowledge base and the escalation rules.

One place for how supportflow reads a customer's words: normalising (lower case, straight
apostrophes), splitting into word tokens, folding inflections, and how many typos a word may
carry. Both `knowledge/` (BM25, typo repair of the query) and `escalation/` (rule matching)
import this module; it imports nothing of supportflow, so it sits below both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import Stemmer
from rapidfuzz import process
from rapidfuzz.distance import OSA

# Words with apostrophes are kept whole ("don't"); hyphens split ("add-on" -> "add", "on").
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[,.;:!?]")
# Letters only and case kept: the words of a query that typo repair may replace in place.
LETTER_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
CLAUSE_BREAKS = frozenset(",.;:!?")

# Fewest letters a word needs before a typo in it is tolerated. Rule words match message
# words from four letters ("cat" is not "chat"); a stem, or a query word repaired against the
# knowledge base's words, needs five ("shiping" is not "shit").
LOOSE_TYPO_MIN_LETTERS = 4
STRICT_TYPO_MIN_LETTERS = 5
# From this length on, two typos are tolerated instead of one.
_TWO_TYPOS_FROM = 10


def normalise(text: str) -> str:
    """Lower case, curly apostrophes straightened."""
    return text.lower().replace("\u2019", "'")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens and clause punctuation."""
    return _TOKEN.findall(normalise(text))


def words(text: str) -> list[str]:
    """Lower-case word tokens, punctuation dropped."""
    return _WORD.findall(text.lower())


def allowed_edits(word: str, min_letters: int) -> int:
    """Typos tolerated in `word`: none below `min_letters`, one, two from ten letters."""
    if len(word) < min_letters:
        return 0
    return 1 if len(word) < _TWO_TYPOS_FROM else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (optimal string alignment) distance, capped at `limit + 1`."""
    return int(OSA.distance(a, b, score_cutoff=limit))


def within_edits(word: str, choices: Sequence[str], limit: int) -> list[tuple[int, int]]:
    """(index in `choices`, distance) of every choice at most `limit` edits from `word`.

    Optimal string alignment distance, as `edit_distance`; closest first. One call into
    rapidfuzz (C++) compares the word with every choice, instead of a Python loop of pairs.
    """
    found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
    return [(index, int(distance)) for _, distance, index in found]


_STEMMERS = threading.local()


def inflection_stem(word: str) -> str:
    """Inflection suffixes off, a doubled last letter undone: "cancelling" -> "cancel".

    The escalation rules' stem. Unlike Snowball it leaves derivations alone: the rules keep
    "cancellation" (a noun, asked about: "what is the cancellation fee?") apart from
    "cancel" (a request), and Snowball folds both to "cancel" (dev escalation F1 0.939 with
    this stem, 0.915 with Snowball).
    """
    for suffix in ("ing", "ed", "es", "s", "e"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def stem(word: str) -> str:
    """The word's Snowball (Porter 2) English stem: "charges", "charged" -> "charg".

    The knowledge base's BM25 stem (dev hit@1 0.867 with it, 0.859 with plural and tense
    folding only).
    """
    # A PyStemmer object keeps buffers and a cache and is not thread-safe: one per thread.
    stemmer = getattr(_STEMMERS, "english", None)
    if stemmer is None:
        stemmer = _STEMMERS.english = Stemmer.Stemmer("english")
    found: str = stemmer.stemWord(word)
    return found
