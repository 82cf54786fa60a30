"""Knowledge-base documents and the passages they are split into.

A document is what an admin ingests (an article: id, title, category, content as Markdown,
stored as written). A passage is the unit that is embedded and retrieved: a run of the
article's whole blocks (article.py: paragraphs, headings, a list kept whole when it fits,
else its items) or, when a block is too long, whole sentences, at most `chunk_chars` long,
Markdown with a list's items one a line. It overlaps its predecessor by up to
`overlap_chars` of trailing sentences or list items, so that an answer straddling a
boundary is still found in one piece.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.knowledge.article import Article, Block, BlockKind, parse_article, split_sentences

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
    # Messages this article answers, in customers' words (article_examples.py): searched,
    # never shown.
    examples: tuple[str, ...] = ()


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


def split_passages(document: Document, chunk_chars: int, overlap_chars: int) -> list[Passage]:
    """Split a document into passages of whole blocks (a list kept whole when it fits),
    then of whole sentences; each passage is Markdown, lists one item a line."""
    units = _bounded_units(parse_article(document.content), chunk_chars)
    texts: list[str] = []
    current: list[_Unit] = []
    for unit in units:
        if current and len(_join([*current, unit])) > chunk_chars:
            texts.append(_join(current))
            current = _overlap_tail(current[-1], overlap_chars, chunk_chars - len(unit.text))
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
        sentence.text
        for block in parse_article(document.content).blocks
        for sentence in block.sentences
        if len(sentence.text) >= _MIN_SENTENCE_CHARS
    ]
    return [
        Passage(document.id, document.title, document.category, position, text, SENTENCE)
        for position, text in enumerate(dict.fromkeys(sentences))
    ]


def join_passages(texts: Sequence[str]) -> str:
    """Consecutive passages as one text, each overlap (the start of a passage that repeats
    the end of the one before) said once."""
    whole = texts[0] if texts else ""
    for text in texts[1:]:
        longest = min(len(whole), len(text))
        shared = next(
            (
                size
                for size in range(longest, 0, -1)
                if text[size : size + 1] in ("", " ", "\n") and whole.endswith(text[:size])
            ),
            0,
        )
        whole += text[shared:] if shared else "\n\n" + text
    return whole


@dataclass(frozen=True)
class _Unit:
    """What a passage is built from: a block, a whole list, or a sentence of a long block.

    `items`: a list's items (or the one item) as written, one per line; () otherwise.
    """

    text: str
    items: tuple[str, ...] = ()


def _bounded_units(article: Article, chunk_chars: int) -> list[_Unit]:
    """The article's blocks as units that fit in a passage: a list whole when it fits, else
    its items; a long paragraph or item as its sentences (a sentence longer than a passage,
    which has no boundary to respect, hard-cut)."""
    units: list[_Unit] = []
    for group in _lists_grouped(article.blocks):
        if group[0].kind is BlockKind.ITEM:
            items = tuple(item.marked() for item in group)
            whole = _Unit("\n".join(items), items)
            parts = [whole] if len(whole.text) <= chunk_chars else [_Unit(i, (i,)) for i in items]
        else:
            block = group[0]
            text = block.markdown if block.kind is BlockKind.OTHER else _flat(block.markdown)
            parts = [_Unit(text)]
        for part in parts:
            if len(part.text) <= chunk_chars:
                units.append(part)
                continue
            for sentence in split_sentences(part.text):
                units.extend(
                    _Unit(sentence[start : start + chunk_chars])
                    for start in range(0, len(sentence), chunk_chars)
                )
    return units


def _lists_grouped(blocks: Sequence[Block]) -> list[list[Block]]:
    """Blocks in order, the items of one list together."""
    groups: list[list[Block]] = []
    for block in blocks:
        previous = groups[-1][-1] if groups else None
        if (
            previous is not None
            and block.kind is BlockKind.ITEM
            and previous.kind is BlockKind.ITEM
            and previous.list_index == block.list_index
        ):
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def _overlap_tail(last: _Unit, overlap_chars: int, room: int) -> list[_Unit]:
    """The end of the previous passage to repeat at the start of the next: its last whole
    list items, or its last sentences."""
    if overlap_chars <= 0:
        return []
    pieces = list(last.items) if last.items else split_sentences(last.text)
    tail: list[str] = []
    size = 0
    for piece in reversed(pieces):
        size += len(piece) + 1
        if size > min(overlap_chars, room):
            break
        tail.insert(0, piece)
    if not tail:
        return []
    return [_Unit("\n".join(tail), tuple(tail))] if last.items else [_Unit(" ".join(tail))]


def _join(units: Sequence[_Unit]) -> str:
    """Units as one passage: a blank line between blocks, none between items of a list."""
    text = ""
    for index, unit in enumerate(units):
        if index:
            text += "\n" if unit.items and units[index - 1].items else "\n\n"
        text += unit.text
    return text


def _flat(text: str) -> str:
    return " ".join(text.split())
