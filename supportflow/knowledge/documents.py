"""Knowledge-base documents and the passages they are split into.

A document is what an admin ingests (an article: id, title, category, content). A passage
is the unit that is embedded and retrieved: a run of whole paragraphs or, when a paragraph
is too long, whole sentences, at most `chunk_chars` long, overlapping its predecessor by up
to `overlap_chars` of trailing sentences so that an answer straddling a boundary is still
found in one piece.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# A sentence ends at . ! or ? followed by space and an upper-case letter, digit or quote;
# list items ("1. Log in") and abbreviations in lower case stay whole.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[A-Z0-9])")
_SLUG_UNSAFE = re.compile(r"[^a-z0-9]+")
# Sentences shorter than this ("Thanks!", "1.") say too little to be retrieved alone.
_MIN_SENTENCE_CHARS = 25

PASSAGE = "passage"
SENTENCE = "sentence"


@dataclass(frozen=True)
class Document:
    """An article as ingested."""

    id: str
    title: str
    category: str
    content: str


@dataclass(frozen=True)
class Passage:
    """A retrievable piece of a document, with where it came from."""

    doc_id: str
    title: str
    category: str
    position: int  # 0-based order within its document (of its kind)
    text: str
    kind: str = PASSAGE  # PASSAGE, or SENTENCE for the single-sentence retrieval units

    @property
    def passage_id(self) -> str:
        marker = "" if self.kind == PASSAGE else "s"
        return f"{self.doc_id}::{marker}{self.position}"


def document_id_for(title: str, content: str) -> str:
    """A stable id for a document ingested without one: a slug of its title plus a digest."""
    slug = _SLUG_UNSAFE.sub("-", title.lower()).strip("-")[:48] or "doc"
    digest = hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()[:10]
    return f"{slug}-{digest}"


def split_sentences(text: str) -> list[str]:
    """Sentences of one paragraph, whitespace collapsed."""
    flat = " ".join(text.split())
    return [part for part in _SENTENCE_END.split(flat) if part]


def split_passages(document: Document, chunk_chars: int, overlap_chars: int) -> list[Passage]:
    """Split a document into passages on paragraph, then sentence, boundaries."""
    units = _bounded_units(document.content, chunk_chars)
    texts: list[str] = []
    current: list[str] = []
    for unit in units:
        if current and len(_join([*current, unit])) > chunk_chars:
            texts.append(_join(current))
            current = _overlap_tail(current, overlap_chars, chunk_chars - len(unit))
        current.append(unit)
    if current:
        texts.append(_join(current))
    return [
        Passage(document.id, document.title, document.category, position, text)
        for position, text in enumerate(texts)
    ]


def split_sentence_units(document: Document) -> list[Passage]:
    """The document's sentences as retrieval units: precise matches for short questions."""
    sentences = [
        sentence
        for paragraph in _PARAGRAPH_BREAK.split(document.content)
        for line in paragraph.splitlines()
        for sentence in split_sentences(line)
        if len(sentence) >= _MIN_SENTENCE_CHARS
    ]
    return [
        Passage(document.id, document.title, document.category, position, text, SENTENCE)
        for position, text in enumerate(dict.fromkeys(sentences))
    ]


def _bounded_units(content: str, chunk_chars: int) -> list[str]:
    """Paragraphs that fit in a passage, long ones broken into sentences (or hard-cut)."""
    units: list[str] = []
    for paragraph in _PARAGRAPH_BREAK.split(content):
        flat = " ".join(paragraph.split())
        if not flat:
            continue
        if len(flat) <= chunk_chars:
            units.append(flat)
            continue
        for sentence in split_sentences(flat):
            # A single sentence longer than a passage has no boundary to respect.
            units.extend(
                sentence[start : start + chunk_chars]
                for start in range(0, len(sentence), chunk_chars)
            )
    return units


def _overlap_tail(units: list[str], overlap_chars: int, room: int) -> list[str]:
    """The last sentences of the previous passage, to repeat at the start of the next."""
    if overlap_chars <= 0:
        return []
    sentences = split_sentences(" ".join(units))
    tail: list[str] = []
    size = 0
    for sentence in reversed(sentences):
        size += len(sentence) + 1
        if size > min(overlap_chars, room):
            break
        tail.insert(0, sentence)
    return [" ".join(tail)] if tail else []


def _join(units: list[str]) -> str:
    return "\n\n".join(units)
