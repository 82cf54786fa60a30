"""Unsure, then ask: offer the two or three closest articles before handing over.

When the bot is not confident but a few articles are close to each other (and not far from
the question), it asks once: "Do you mean: A, B or C?", with those titles as quick replies
(`suggestions` on the bot's message). The customer's next message either picks one (its
title, a number, or the title's words, typos tolerated), which is answered from that
article; or says none of them, or is unsure again: then the room hands over as before
(`low_confidence`). The pending question lives in the bot message's metadata, like the
rest of the conversation's memory.

A confident answer is asked about too when it is a coin toss (`close_call`): the best
article of another topic is within `CLOSE_CALL` of the best one, so the answer would as
likely come from the wrong article (issue 26).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from supportflow.knowledge.retrieval import DocumentMatch, Retrieval
from supportflow.knowledge.titles import same_title
from supportflow.llm.answer import retrieval_evidence
from supportflow.rooms.responder import Source, Turn

MAX_SUGGESTIONS = 3
# Ask only when the retrieval evidence (llm/answer.py) is at least this: confidence ~0.27,
# the question is near the knowledge base's ground but short of the 0.6 threshold (~0.40
# evidence). Offer an article whose rank score is within SPREAD of the best one's, and its
# passage similarity within CLOSE of the best's: a real alternative. Chosen, not fitted.
MIN_EVIDENCE = 0.34
CLOSE = 0.1
# Only a short message is vague enough to ask about ("internet", "my phone settings"): a
# long one that matches nothing well is off the knowledge base, not ambiguous.
MAX_WORDS = 10
SPREAD = 0.15
# A confident answer is still a coin toss when the best article of another topic is this
# close to the best one in rank score (a tenth of SPREAD's "real alternative"). Chosen
# before measuring (issue 22, for messy messages); chosen on four folds of the dev
# questions it comes out 0.03 in three of five (scripts/evaluate_close_calls.py; the
# figures, cross-validated, in docs/answers.md).
CLOSE_CALL = 0.03
# A reply this similar to a title (token-set ratio) picks it.
PICKS_TITLE = 80

_NUMBER = re.compile(r"^\s*(?:the\s+)?(?:number\s+)?(\d|first|second|third)\b", re.IGNORECASE)
_ORDINALS = {"first": 1, "second": 2, "third": 3}


@dataclass(frozen=True)
class Pending:
    """A clarifying question the bot asked in its last message."""

    query: str
    suggestions: tuple[Source, ...]


def candidates(text: str, retrieval: Retrieval) -> tuple[Source, ...]:
    """The 2-3 articles worth offering, best first; () when there is nothing to ask about."""
    best = retrieval.best
    if len(text.split()) > MAX_WORDS:
        return ()
    if best is None or retrieval_evidence(retrieval) < MIN_EVIDENCE:
        return ()
    chosen = distinct_articles(
        doc
        for doc in retrieval.documents
        if best.similarity - doc.similarity <= CLOSE and best.rank_score - doc.rank_score <= SPREAD
    )
    return chosen if len(chosen) >= 2 else ()


def close_call(retrieval: Retrieval, margin: float = CLOSE_CALL) -> tuple[Source, ...]:
    """The articles to ask about when the best article leads the best article of another
    topic by at most `margin` in rank score (`topic_lead`): an answer from either would be a
    coin toss between them. () when the lead is clear."""
    best = retrieval.best
    lead = topic_lead(retrieval)
    if best is None or lead is None or lead > margin:
        return ()
    return distinct_articles(
        doc for doc in retrieval.documents if best.rank_score - doc.rank_score <= margin
    )


def topic_lead(retrieval: Retrieval) -> float | None:
    """How far the best article's rank score leads the best article of another topic; None
    when retrieval found no other topic. Two versions of one article (titles the same but
    for numbers, knowledge/titles.py) are one topic: a lead over its own copy says nothing."""
    best, other = retrieval.best, topic_rival(retrieval)
    return best.rank_score - other.rank_score if best is not None and other is not None else None


def topic_rival(retrieval: Retrieval) -> DocumentMatch | None:
    """The best article of another topic than the best one's (None when there is none)."""
    best = retrieval.best
    if best is None:
        return None
    return next((doc for doc in retrieval.documents if not same_title(doc.title, best.title)), None)


def distinct_articles(
    documents: Iterable[DocumentMatch], limit: int = MAX_SUGGESTIONS
) -> tuple[Source, ...]:
    """Up to `limit` of `documents` as sources, in order, two versions of one article
    (knowledge/titles.py) counted as one choice."""
    chosen: list[Source] = []
    for doc in documents:
        if any(same_title(doc.title, other.title) for other in chosen):
            continue
        chosen.append(Source(doc.doc_id, doc.title, round(doc.similarity, 4), doc.category))
        if len(chosen) == limit:
            break
    return tuple(chosen)


def question_text(suggestions: Sequence[Source]) -> str:
    titles = [source.title for source in suggestions]
    listed = ", ".join(titles[:-1]) + f" or {titles[-1]}"
    return f"I want to be sure I answer the right question. Do you mean: {listed}?"


def pending_from(history: Sequence[Turn]) -> Pending | None:
    """The clarifying question of the last bot message, if the conversation's last
    message before this one asked it."""
    for turn in reversed(history):
        if turn.sender_type in ("user", "system"):
            continue
        if turn.sender_type != "bot":
            return None
        raw = turn.metadata.get("suggestions")
        query = turn.metadata.get("query")
        if not isinstance(raw, list) or not raw or not isinstance(query, str):
            return None
        suggestions = tuple(
            Source(str(item["id"]), str(item.get("title", item["id"])), 0.0)
            for item in raw
            if isinstance(item, dict) and "id" in item
        )
        return Pending(query, suggestions) if suggestions else None
    return None


def picked(text: str, suggestions: Sequence[Source]) -> Source | None:
    """The suggestion `text` chooses, or None."""
    number = _NUMBER.match(text)
    if number is not None:
        word = number.group(1).lower()
        index = _ORDINALS.get(word, int(word) if word.isdigit() else 0)
        if 1 <= index <= len(suggestions):
            return suggestions[index - 1]
    words = len(text.split())
    scored = [
        # A subset match only counts for a reply about as short as the title: "how much is
        # roaming in Spain" is a new question, not a pick of "Roaming".
        (
            fuzz.token_set_ratio(text.lower(), s.title.lower())
            if words <= len(s.title.split()) + 2
            else fuzz.ratio(text.lower(), s.title.lower()),
            s,
        )
        for s in suggestions
    ]
    score, best = max(scored, key=lambda pair: pair[0])
    return best if score >= PICKS_TITLE else None
