"""An article's structure, read from its Markdown: headings, paragraphs, list items.

Articles arrive as Markdown (or plain text, which reads as Markdown: "1. Log in" lines are
a numbered list) and are stored as written. This module parses them once with markdown-it
(CommonMark, raw HTML off, so an article's tags are text) into top-level blocks, each with
its Markdown as written and its sentences (a maintained segmenter, sentencex, which knows
"e.g." and "U.S." from a sentence end). Passages (documents.py) are runs of whole blocks;
sentence units are the blocks' sentences; the offline answerer (llm/offline.py) puts whole
sentences and whole list items back together, numbered as the article numbers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from sentencex import segment

# Where the help center shows the knowledge base, an article at HELP_PATH/<its id>.
HELP_PATH = "/help"
# The marker that opens a list item's first line, and the spaces after it.
_ITEM_MARKER = re.compile(r"^[ \t]*(?:\d{1,9}[.)]|[-+*])(?:[ \t]+|$)")
_LIST_OPENS = {"ordered_list_open", "bullet_list_open"}


class BlockKind(StrEnum):
    HEADING = "heading"
    PARAGRAPH = "paragraph"
    ITEM = "item"  # one item of a list, whatever it holds
    OTHER = "other"  # a quote, a code block, a table, a rule: kept whole


@dataclass(frozen=True)
class Sentence:
    """One sentence: its Markdown as written, and its plain text (markup removed)."""

    markdown: str
    text: str


@dataclass(frozen=True)
class Block:
    """A top-level piece of an article, in reading order."""

    kind: BlockKind
    # As written, whitespace kept; a list item's without its marker (see `marked`).
    markdown: str
    sentences: tuple[Sentence, ...]
    text: str  # plain (markup removed), one line
    # List items only: which list of the article (0, 1, ...) and the marker as the
    # article writes it ("3." or "2)" for a numbered item, "-" or "*" for a bullet).
    list_index: int = -1
    marker: str = ""

    @property
    def numbered(self) -> bool:
        return self.marker[:1].isdigit()

    @property
    def number(self) -> int | None:
        """A numbered item's number as written."""
        return int(self.marker[:-1]) if self.numbered else None

    def marked(self) -> str:
        """The block's Markdown as it stands in the article (an item with its marker)."""
        if self.kind is not BlockKind.ITEM:
            return self.markdown
        indent = " " * (len(self.marker) + 1)
        first, *rest = self.markdown.split("\n")
        return "\n".join(
            [f"{self.marker} {first}", *(indent + line if line else "" for line in rest)]
        )


@dataclass(frozen=True)
class Article:
    """An article's blocks, in reading order."""

    blocks: tuple[Block, ...]

    def locate(self, sentence_text: str) -> tuple[int, int] | None:
        """(block index, sentence index) of the first sentence whose text is `sentence_text`."""
        wanted = " ".join(sentence_text.split())
        for b, block in enumerate(self.blocks):
            for s, sentence in enumerate(block.sentences):
                if sentence.text == wanted:
                    return b, s
        return None

    def list_items(self, list_index: int) -> list[int]:
        """Block indexes of the items of one list, in order."""
        return [
            b
            for b, block in enumerate(self.blocks)
            if block.kind is BlockKind.ITEM and block.list_index == list_index
        ]


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    # Tables as GitHub writes them; no raw HTML, no typographic replacements: an article
    # reads as its author wrote it.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


@lru_cache(maxsize=256)
def parse_article(markdown: str) -> Article:
    """The article's top-level blocks (nested lists stay inside their item).

    Cached by content: ingest splits an article twice (passages, sentences) and the
    answerer reads the same few articles over and over."""
    source = markdown.replace("\r\n", "\n").replace("\r", "\n")
    lines = source.split("\n")
    tokens = _parser().parse(source)
    blocks: list[Block] = []
    lists = 0
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = _closing(tokens, index)
        inner = tokens[index : end + 1]
        if token.type in _LIST_OPENS:
            blocks.extend(_items(tokens[index + 1 : end], lines, lists))
            lists += 1
        elif token.type == "heading_open":
            blocks.append(_block(BlockKind.HEADING, _source(lines, token), inner))
        elif token.type == "paragraph_open":
            text = next(t.content for t in inner if t.type == "inline")
            blocks.append(_block(BlockKind.PARAGRAPH, text, inner))
        elif token.map is not None:
            blocks.append(_block(BlockKind.OTHER, _source(lines, token), inner))
        index = end + 1
    return Article(tuple(block for block in blocks if block.markdown.strip()))


def help_path(doc_id: str) -> str:
    """The help-center page of an article: a path on this server."""
    return f"{HELP_PATH}/{quote(doc_id, safe='')}"


def split_sentences(text: str) -> list[str]:
    """Sentences of one run of text, whitespace collapsed."""
    flat = " ".join(text.split())
    return [part.strip() for part in segment("en", flat) if part.strip()]


def plain_text(markdown: str) -> str:
    """`markdown` (inline) without its markup: what a reader sees, one line."""
    tokens = _parser().parseInline(markdown)
    return " ".join(_inline_text(tokens).split())


def _items(tokens: list[Token], lines: list[str], list_index: int) -> list[Block]:
    """The items of one list (`tokens` between its open and close)."""
    items: list[Block] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        end = _closing(tokens, index)
        if token.type == "list_item_open":
            marker = f"{token.info}{token.markup}" if token.info else token.markup
            body = _item_body(lines, token)
            items.append(_block(BlockKind.ITEM, body, tokens[index : end + 1], list_index, marker))
        index = end + 1
    return items


def _block(
    kind: BlockKind, markdown: str, tokens: list[Token], list_index: int = -1, marker: str = ""
) -> Block:
    text = " ".join(
        _inline_text(token.children or []) if token.type == "inline" else token.content
        for token in tokens
        if token.type in ("inline", "code_block", "fence")
    )
    return Block(kind, markdown, _sentences(tokens), " ".join(text.split()), list_index, marker)


def _item_body(lines: list[str], item: Token) -> str:
    """A list item's Markdown without its marker, continuation lines dedented."""
    start, stop = item.map or (0, 0)
    own = lines[start:stop]
    if not own:
        return ""
    opened = _ITEM_MARKER.match(own[0])
    width = opened.end() if opened else 0
    body = [own[0][width:]] + [_dedent(line, width) for line in own[1:]]
    return "\n".join(body).strip()


def _dedent(line: str, width: int) -> str:
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, width) :]


def _source(lines: list[str], token: Token) -> str:
    start, stop = token.map or (0, 0)
    return "\n".join(lines[start:stop]).strip()


def _closing(tokens: list[Token], index: int) -> int:
    """Index of the token that closes `tokens[index]` (itself for a self-contained one)."""
    if tokens[index].nesting != 1:
        return index
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position
    return len(tokens) - 1


def _sentences(tokens: list[Token]) -> tuple[Sentence, ...]:
    """Every sentence of the inline runs among `tokens`, in order."""
    found: list[Sentence] = []
    for token in tokens:
        if token.type == "inline":
            found.extend(_split_inline(token.content))
        elif token.type in ("code_block", "fence"):
            found.extend(Sentence(line, line) for line in split_sentences(token.content))
    return tuple(found)


def _split_inline(markdown: str) -> list[Sentence]:
    sentences = []
    for part in split_sentences(markdown):
        text = plain_text(part)
        if text:
            sentences.append(Sentence(part, text))
    return sentences


def _inline_text(tokens: list[Token]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token.children:
            parts.append(_inline_text(token.children))
        elif token.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        else:
            parts.append(token.content)
    return "".join(parts)
