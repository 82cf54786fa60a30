"""Reading a long message clause by clause, so a complaint up front does not drown the question.

"Been a customer for 6 years and this is a joke. My phone says no service since this
morning. I already restarted it twice." holds one question in three clauses. Searched as one
text, the rant and the attempt pull the vector away from the problem. So a message of two or
more clauses (sentences, by the maintained segmenter `sentencex`, then "but" joining two
things said) is searched whole *and* clause by clause, and the readings are fused by each
article's places in them (reciprocal rank fusion: nothing learned). A clause that says what
the customer already tried ("I already restarted it") is no evidence for the article it
matches best; that article is lowered instead, so the next step (an outage check, a person)
comes first rather than the steps the customer did.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from sentencex import segment

from supportflow.knowledge.retrieval import DocumentMatch, Retrieval

# A clause needs this many words to be read on its own ("Hi.", "WTF??" are not questions).
MIN_CLAUSE_WORDS = 3
# Clauses read on their own at most (each is one more embedded row in the micro-batch).
MAX_CLAUSES = 6
# Reciprocal rank fusion (Cormack et al. 2009): an article scores weight / (RRF_K + rank)
# in each reading. The whole message counts twice a clause: it is the one reading that sees
# everything said. Chosen, not fitted (on the dev tweets, fusing by the best rank score
# instead let a clause of context, "my password is saved on my laptop", outrank the
# problem).
RRF_K = 10
WHOLE_WEIGHT = 2.0
# The articles whose examples the message is closest to (knowledge/article_examples.py) are
# one more reading of it, in customers' words rather than the articles': a clause's weight,
# half the whole message's, since the examples are a few tens of sentences per article, not
# the article. Chosen, not fitted.
EXAMPLES_WEIGHT = 1.0
# How far an article the customer already tried falls: half a first place in one reading,
# enough to drop it below a close alternative, not below an unrelated one. Chosen.
ATTEMPTED_PENALTY = 0.05

_WORD = re.compile(r"[A-Za-z0-9']+")
# "but" joins two things said: "I restarted it but it's still slow".
_BUT = re.compile(r"\s*(?:,\s*)?\bbut\b\s*", re.IGNORECASE)
# Saying what the customer already did: the grammar of an attempt, not any topic's words.
# "already" counts with the customer as its subject ("I've already", "Already called"), not
# "my email is already taken" or "what if it has already shipped?".
_ATTEMPT = re.compile(
    r"\b(?:tried|(?:did|done)\s+(?:that|this|it|everything|all\s+that))\b"
    r"|^\W*already\b"
    r"|\b(?:i|we)(?:'ve|\s+have|\s+had)?\s+already\b"
    r"|\b(?:i|we)\s*(?:'ve|\s+have)\s+(?:done|tried)\b",
    re.IGNORECASE,
)
# After "but", what says the attempt failed: "I restarted it but it's still slow".
_FAILED = re.compile(
    r"\b(?:still|didn'?t|did\s+not|doesn'?t|does\s+not|no\s+luck|nothing|same)\b", re.IGNORECASE
)
# Where an attempt told by its grammar ends: the next comma, "and", "but" or "then". What
# follows ("I tried again and the download still fails") is the problem, not the attempt.
_ATTEMPT_ENDS = re.compile(r"\s*(?:[,;]|\.\.+|\b(?:and|but|then)\b)\s*", re.IGNORECASE)


class Search(Protocol):
    """KnowledgeBase.search, as a reading uses it."""

    def __call__(
        self, question: str, max_documents: int = 5, with_examples: bool = False
    ) -> Awaitable[Retrieval]: ...


@dataclass(frozen=True)
class Clause:
    """A clause read on its own, and whether it reports something already tried."""

    text: str
    attempted: bool


def clauses(text: str) -> list[Clause]:
    """The clauses of `text` worth reading on their own, in order (maybe none).

    An attempt told by its grammar is only the words that tell it: "Either refund my money
    or provide the services for which I have already paid" asks for a refund, and only "I
    have already paid" says what was done; "I tried again and download speed hovered at 5
    mbps" reports the problem after its "and".
    """
    found: list[Clause] = []
    for part, attempted in _parts(text):
        match = _ATTEMPT.search(part) if attempted else None
        if match is None:
            pieces = [(part, attempted)]
        else:
            said = part[match.start() :]
            end = _ATTEMPT_ENDS.search(said, match.end() - match.start())
            pieces = [
                (part[: match.start()], False),
                (said[: end.start()] if end else said, True),
                (said[end.end() :] if end else "", False),
            ]
        found.extend(
            Clause(piece.strip(), tried)
            for piece, tried in pieces
            if len(_WORD.findall(piece)) >= MIN_CLAUSE_WORDS
        )
    return found[:MAX_CLAUSES]


def _parts(text: str) -> list[tuple[str, bool]]:
    """Sentences split at "but", each with whether it reports an attempt."""
    found: list[tuple[str, bool]] = []
    for line in text.splitlines():
        for sentence in segment("en", line):
            parts = [part.strip() for part in _BUT.split(sentence)]
            for index, part in enumerate(parts):
                if len(_WORD.findall(part)) < MIN_CLAUSE_WORDS:
                    continue
                failed_after = index + 1 < len(parts) and _FAILED.search(parts[index + 1])
                found.append((part, says_attempted(part) or bool(failed_after)))
    return found


def says_attempted(clause: str) -> bool:
    """True when the clause reports something the customer already tried."""
    return _ATTEMPT.search(clause) is not None


def reports_attempt(text: str) -> bool:
    """True when a clause of `text` says the customer already tried something."""
    return any(attempted for _, attempted in _parts(text))


async def read_message(search: Search, text: str) -> Retrieval:
    """`text`'s retrieval: whole, fused with its clauses' when it has two or more, and with
    the articles whose examples it is closest to when any article has examples."""
    parts = clauses(text)
    whole_search = search(text, with_examples=True)
    if len(parts) < 2:
        whole = await whole_search
        return fuse_readings(whole, []) if whole.by_examples else whole
    whole, *by_clause = await asyncio.gather(whole_search, *(search(part.text) for part in parts))
    return fuse_readings(whole, list(zip(parts, by_clause, strict=True)))


def fuse_readings(whole: Retrieval, by_clause: list[tuple[Clause, Retrieval]]) -> Retrieval:
    """The articles of every reading by reciprocal rank fusion; tried articles lowered.

    The readings are the whole message, its articles by their examples
    (`whole.by_examples`) and each clause. Each article keeps the match of the reading that
    ranked it best, so its scores stay those of one real search (the confidence calibration
    reads them).
    """
    attempted = {
        reading.best.doc_id
        for clause, reading in by_clause
        if clause.attempted and reading.best is not None
    }
    weighted = [(WHOLE_WEIGHT, whole.documents), (EXAMPLES_WEIGHT, whole.by_examples)] + [
        (1.0, reading.documents) for clause, reading in by_clause if not clause.attempted
    ]
    fused: dict[str, float] = {}
    kept: dict[str, tuple[int, DocumentMatch]] = {}
    for weight, documents in weighted:
        for rank, doc in enumerate(documents):
            fused[doc.doc_id] = fused.get(doc.doc_id, 0.0) + weight / (RRF_K + rank)
            if doc.doc_id not in kept or rank < kept[doc.doc_id][0]:
                kept[doc.doc_id] = (rank, doc)
    for doc_id in attempted & fused.keys():
        fused[doc_id] -= ATTEMPTED_PENALTY
    order = sorted(fused, key=lambda doc_id: fused[doc_id], reverse=True)
    count = max(len(documents) for _, documents in weighted)
    return Retrieval(whole.question, tuple(kept[doc_id][1] for doc_id in order[:count]))
