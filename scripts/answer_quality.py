"""Whether the bot's answers read well: whole sentences, whole lists, the right citations.

Used by `scripts/evaluate.py`, one `AnswerQuality` per data file. Over the replies that
quote an article (their `sources` are not empty), against that article's Markdown:

- *cut*: a sentence of the answer that stands in the article but not whole there (it
  starts or stops mid-sentence), or an elision ("..." or "…") the article does not have.
  Sentences the article does not hold at all are the bot's own words ("A member of our
  team will take it from here.") and are not judged;
- *broken list*: an item of one of the article's lists shows up in the answer outside a
  list (flattened into a paragraph), as another kind of list or with another number than
  the article gives it, or the answer's part of a list skips items in between, or stops
  short of the list's end without a link to the article (`/help/<id>`) for the rest;
- *citation precision*: cited articles that are among the expected ones, over every
  article cited (rows that name their expected articles only);
- *length*: characters of the answer text, p50 and p90.

The judging is string matching on the article's blocks and sentences (markdown-it-py and
the segmenter the project uses), independent of how the answerer chose what to quote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from supportflow.knowledge.article import Article, Block, BlockKind, help_path, parse_article

_ELISION = re.compile(r"\.\.\.|…")
# What may close a whole sentence: its end mark, then closing quotes or brackets.
_SENTENCE_END = re.compile(r"[.!?:][\"')\]]*$")
_BEFORE_SENTENCE = re.compile(r"(?:^|[.!?:][\"')\]]*\s+)$")


@dataclass
class AnswerQuality:
    """Counts for one data file; `add` every reply, then `lines` for the report."""

    articles: Mapping[str, str]  # article id -> Markdown content
    replies: int = 0
    quoting: int = 0
    cut: int = 0
    elided: int = 0
    broken: int = 0
    cited: int = 0
    cited_expected: int = 0
    lengths: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def add(self, text: str, source_ids: Sequence[str], expected: Sequence[str] | None) -> None:
        """One reply: its text, the ids it cites, and the expected ids (None: unknown)."""
        self.replies += 1
        if expected is not None:
            self.cited += len(source_ids)
            self.cited_expected += sum(1 for doc_id in source_ids if doc_id in set(expected))
        quoted = [self.articles[doc_id] for doc_id in source_ids if doc_id in self.articles]
        if not quoted:
            return
        self.quoting += 1
        self.lengths.append(len(text))
        answer = parse_article(text)
        articles = [parse_article(content) for content in quoted]
        elided = has_elision(answer, articles)
        cut = elided or any(has_cut_sentence(answer, article) for article in articles)
        broken = any(
            has_broken_list(answer, article, text, doc_id)
            for doc_id, article in zip(source_ids, articles, strict=False)
        )
        self.elided += elided
        self.cut += cut
        self.broken += broken
        if (cut or broken) and len(self.examples) < 5:
            self.examples.append(f"{'cut' if cut else 'list'}: {text[:160]!r}")

    def lines(self, label: str, show: bool = False) -> list[str]:
        """The report: one summary line and one of figures, then examples when `show`."""
        precision = f"{self.cited_expected / self.cited:.3f}" if self.cited else "  -  "
        lines = [
            f"answers ({label}): {self.quoting} of {self.replies} replies quote an article",
            f"  cut sentence or elision {self.cut} (elisions {self.elided})"
            f"   broken lists {self.broken}"
            f"   citation precision {precision} ({self.cited_expected}/{self.cited})"
            f"   length p50 {percentile(self.lengths, 50)}  p90 {percentile(self.lengths, 90)}",
        ]
        if show:
            lines.extend(f"  {example}" for example in self.examples)
        return lines


def has_elision(answer: Article, articles: Sequence[Article]) -> bool:
    """An "..." or "…" in a sentence of the answer that the quoted articles do not hold."""
    texts = [block.text for article in articles for block in article.blocks]
    return any(
        _ELISION.search(sentence.text) and not any(sentence.text in text for text in texts)
        for block in answer.blocks
        for sentence in block.sentences
    )


def has_cut_sentence(answer: Article, article: Article) -> bool:
    """A sentence of the answer that the article holds, but only inside a longer one."""
    texts = [block.text for block in article.blocks]
    for block in answer.blocks:
        for sentence in block.sentences:
            spots = [
                (text, match.start())
                for text in texts
                for match in re.finditer(re.escape(sentence.text), text)
            ]
            if spots and not any(_whole_at(text, start, sentence.text) for text, start in spots):
                return True
    return False


def has_broken_list(answer: Article, article: Article, text: str, doc_id: str) -> bool:
    """An article list flattened, renumbered, gapped, or cut short without a link."""
    linked = help_path(doc_id) in text
    shown: dict[int, list[int]] = {}
    for position, item in enumerate(article.blocks):
        if item.kind is not BlockKind.ITEM:
            continue
        for block in answer.blocks:
            if item.text not in block.text:
                continue
            if not _same_item(block, item):
                return True
            shown.setdefault(item.list_index, []).append(position)
    for list_index, positions in shown.items():
        items = article.list_items(list_index)
        start = items.index(positions[0])
        if positions != items[start : start + len(positions)]:
            return True  # items skipped in between
        if len(positions) < len(items) and not linked:
            return True
    return False


def percentile(values: Sequence[int], rank: int) -> int:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def _same_item(shown: Block, item: Block) -> bool:
    """Whether the answer shows the article's item as an item of the same kind, numbered
    as the article numbers it, and whole."""
    return (
        shown.kind is BlockKind.ITEM
        and shown.text == item.text
        and shown.numbered == item.numbered
        and shown.number == item.number
    )


def _whole_at(text: str, start: int, sentence: str) -> bool:
    end = start + len(sentence)
    begins = bool(_BEFORE_SENTENCE.search(text[:start]))
    ends = end == len(text) or bool(_SENTENCE_END.search(sentence))
    return begins and ends
