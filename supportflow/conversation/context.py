"""Follow-ups: what the conversation so far says about a message that cannot stand alone.

The memory is the transcript itself (every bot reply stores the query it searched, its
sources and confidence in its metadata), so a room rebuilt after a restart remembers as
much as the one that crashed, and `POST /api/ask` with a `session_id` reads the same.

A follow-up ("is it free?", "and to Canada?", "how long does that take?") is searched two
ways: on its own, and fused with the query of the last confident answer into one
standalone query. The reading with the stronger retrieval evidence wins; a message that
*looks* dependent (a leading "and"/"what about", a pronoun with nothing to point at, very
few words, or hardly a topic word of its own: "how many days do I have?") gets the
contextual reading unless its own reading is clearly better.

A clarifying question the customer did not answer by picking ("Do you mean A, B or C?",
then "what about in installments?") still names the topic: its query is the memory, and
its suggestions are the articles, until a confident answer replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.knowledge.lexical import STOPWORDS
from supportflow.rooms.responder import Turn
from supportflow.social_text import readable

# How many words of earlier queries a fused query keeps (the newest ones).
MAX_CONTEXT_WORDS = 24
# Evidence the contextual reading of a message that does not look dependent must gain
# before it replaces the message's own reading (chosen, not fitted).
INDEPENDENT_PENALTY = 0.05
# A message with at most this many words rarely carries its own topic.
SHORT_WORDS = 4
# A follow-up adds one or two words of its own ("and to Canada?", "how many days do I
# have?") and takes its topic from the turns before; a standalone question names its
# topic and what it wants of it. Chosen from how questions are built, not fitted.
MAX_OWN_TOPIC_WORDS = 2

_WORD = re.compile(r"[a-z0-9']+")
# Openers that continue the previous topic.
_CONTINUATIONS = (
    ("and",),
    ("also",),
    ("or",),
    ("what", "about"),
    ("how", "about"),
    ("what", "if"),
    ("same", "for"),
    ("then",),
)
# Words that point back at something said before.
_ANAPHORA = frozenset(
    {"it", "its", "it's", "that", "this", "these", "those", "them", "they", "there", "one"}
)


@dataclass(frozen=True)
class Memory:
    """What the bot last answered confidently: the query searched and the sources cited."""

    query: str
    source_ids: tuple[str, ...]


def memory_from(history: Sequence[Turn], min_confidence: float) -> Memory | None:
    """The last confident knowledge-base answer in `history`, or None.

    Replies to small talk are skipped (they carry no topic); a clarifying question counts,
    its query unanswered but its topic named; an agent or an escalation in between ends the
    topic.
    """
    for turn in reversed(history):
        if turn.sender_type == "agent":
            return None
        if turn.sender_type != "bot":
            continue
        meta = turn.metadata
        if meta.get("act"):
            continue
        if meta.get("escalate"):
            return None
        query = meta.get("query")
        confidence = meta.get("confidence")
        if not isinstance(query, str) or not isinstance(confidence, int | float):
            return None
        asked = meta.get("suggestions")
        if asked:
            return Memory(query, _ids(asked))
        if confidence < min_confidence:
            return None
        return Memory(query, _ids(meta.get("sources")))
    return None


def _ids(listed: object) -> tuple[str, ...]:
    return tuple(
        str(item["id"])
        for item in (listed if isinstance(listed, list) else [])
        if isinstance(item, dict) and "id" in item
    )


def searchable(text: str) -> str:
    """`text` as it is searched and the escalation rules read it: social text as plain
    words (`social_text.readable`: entities, handles, URLs, hashtags, emoji, elongations)."""
    return readable(text)


def looks_dependent(text: str) -> bool:
    """True when `text` leans on earlier turns: a continuation, a pointer, very few words
    or topic words."""
    words = _WORD.findall(text.lower())
    if not words:
        return False
    if len(words) <= SHORT_WORDS or len(topic_words(words)) <= MAX_OWN_TOPIC_WORDS:
        return True
    if any(tuple(words[: len(opener)]) == opener for opener in _CONTINUATIONS):
        return True
    return any(word in _ANAPHORA for word in words)


def topic_words(words: Sequence[str]) -> list[str]:
    """The words that can name a topic: not function words ("what's" is "what"), not bare
    numbers."""
    return [
        word
        for word in words
        if word.split("'")[0] not in STOPWORDS and word not in STOPWORDS and not word.isdigit()
    ]


def fuse(previous_query: str, text: str) -> str:
    """One standalone query: the newest words of the earlier query, then this message."""
    earlier = previous_query.split()[-MAX_CONTEXT_WORDS:]
    return " ".join([*earlier, text.strip()])


def prefer_context(own_evidence: float, contextual_evidence: float, dependent: bool) -> bool:
    """Whether the fused (contextual) reading should be searched instead of the message's."""
    handicap = 0.0 if dependent else INDEPENDENT_PENALTY
    return contextual_evidence - handicap > own_evidence
