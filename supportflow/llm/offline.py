"""The offline grounded answerer: replies composed from the knowledge base's own sentences.

No model writes anything: the reply is the few sentences of the best-matching article that
are most similar to the question (already scored by retrieval's sentence units), put back in
the article's reading order, followed by the article it came from. It cannot invent a fact;
its weakness is fluency, not truth. Confidence follows the shared calibration rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from supportflow.knowledge.retrieval import DocumentMatch, Retrieval
from supportflow.llm.answer import Answer, calibrated_confidence
from supportflow.rooms.responder import Turn

PROVIDER = "offline"
MAX_SENTENCES = 3
MAX_REPLY_CHARS = 700
# Sentences this much less similar than the best one are off the point.
_SENTENCE_SLACK = 0.12
_FALLBACK_CHARS = 400
_LIST_MARKER = re.compile(r"^\s*(?:\d+[.)]|[-*\u2022])\s+")

NO_MATCH_TEXT = "I'm sorry, I couldn't find anything about that in our help articles."


class OfflineAnswerer:
    """Extractive, cited answers; never fails."""

    name = PROVIDER

    async def answer(self, question: str, retrieval: Retrieval, history: Sequence[Turn]) -> Answer:
        best = retrieval.best
        if best is None:
            return Answer(NO_MATCH_TEXT, 0.0, PROVIDER, ())
        body = compose_from(best)
        text = f"{body}\n\nSource: {best.title}"
        return Answer(text, calibrated_confidence(retrieval), PROVIDER, (best.doc_id,))


def compose_from(document: DocumentMatch) -> str:
    """The document's most relevant sentences, in reading order, within the reply limit."""
    if not document.sentences:
        return _shorten(document.passages[0].passage.text, _FALLBACK_CHARS)
    floor = document.sentences[0].similarity - _SENTENCE_SLACK
    chosen = [hit for hit in document.sentences if hit.similarity >= floor][:MAX_SENTENCES]
    chosen.sort(key=lambda hit: hit.passage.position)
    parts: list[str] = []
    used = 0
    for hit in chosen:
        sentence = _LIST_MARKER.sub("", hit.passage.text).strip()
        if sentence.endswith(":"):
            # A lead-in ("To cancel a line:") is useless without the steps that follow it.
            sentence = f"{sentence} {_continuation(document, hit.passage.text)}".strip()
        if parts and used + len(sentence) > MAX_REPLY_CHARS:
            break
        parts.append(sentence)
        used += len(sentence) + 1
    return " ".join(parts)


def _continuation(document: DocumentMatch, lead_in: str) -> str:
    """The text right after `lead_in` in the document's passages (its list, usually)."""
    for hit in document.passages:
        text = hit.passage.text
        index = text.find(lead_in)
        if index >= 0:
            rest = text[index + len(lead_in) :].strip()
            lines = [_LIST_MARKER.sub("", line).strip() for line in rest.splitlines()]
            return _shorten(" ".join(line for line in lines if line), _FALLBACK_CHARS)
    return ""


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "..."
