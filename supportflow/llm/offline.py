"""The offline grounded answerer: replies composed from the knowledge base's own words.

No model writes anything: the reply is the few sentences of the best-matching article that
are most similar to the question (already scored by retrieval's sentence units), put back
in the article's reading order, whole. A sentence that leads into a list ("follow these
steps:"), or a list item, brings its list, numbered as the article numbers it; a list too
long for a chat message keeps the steps that fit, whole, and links to the article for the
rest. It never cuts a sentence and never elides. The article is read whole (the knowledge
base keeps it as ingested), so a list is never split where a passage happened to end.
The reply is Markdown: paragraphs, lists, and a link to the help center. It cites only the
article it quotes; confidence follows the shared calibration rule.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from supportflow.knowledge.article import Article, BlockKind, help_path, parse_article
from supportflow.knowledge.documents import join_passages
from supportflow.knowledge.retrieval import DocumentMatch, Retrieval
from supportflow.llm.answer import Answer, calibrated_confidence
from supportflow.rooms.responder import Turn

PROVIDER = "offline"
MAX_SENTENCES = 3
# A chat message, not a page: past this many characters the rest of a list is a link
# away. Whole sentences and items only, so one long sentence may still go past it.
MAX_REPLY_CHARS = 600
# Sentences this much less similar than the best one are off the point.
_SENTENCE_SLACK = 0.12
# A paragraph leading into a list is quoted whole up to this many sentences.
_SHORT_LEAD_IN = 2
_MARKDOWN_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\[]*_`<>"})

NO_MATCH_TEXT = "I'm sorry, I couldn't find anything about that in our help articles."

# The Markdown of a knowledge-base article by id (None when there is none).
ArticleContent = Callable[[str], Awaitable[str | None]]


class OfflineAnswerer:
    """Extractive, cited answers; never fails."""

    name = PROVIDER

    def __init__(self, articles: ArticleContent | None = None) -> None:
        """`articles`: the knowledge base's whole articles; without it, the reply is
        composed from the retrieved passages of the best article."""
        self._articles = articles

    async def answer(self, question: str, retrieval: Retrieval, history: Sequence[Turn]) -> Answer:
        best = retrieval.best
        if best is None:
            return Answer(NO_MATCH_TEXT, 0.0, PROVIDER, ())
        text = await composed(self._articles, best) or NO_MATCH_TEXT
        return Answer(text, calibrated_confidence(retrieval), PROVIDER, (best.doc_id,))


async def composed(articles: ArticleContent | None, document: DocumentMatch) -> str:
    """What the reply quotes of `document` ("" when nothing), read whole through `articles`
    when it can be, else from its retrieved passages."""
    content = await articles(document.doc_id) if articles is not None else None
    return compose(parse_article(content or _passages_of(document)), document)


def compose(article: Article, document: DocumentMatch) -> str:
    """The article's parts that answer, in reading order: what the best sentence stands
    for (its list cut to fit), then the next ones that still fit as they are."""
    anchors = _anchors(article, document)
    if not anchors:
        return ""
    chosen = Selection(article).with_anchor(anchors[0]).fitted(document)
    for anchor in anchors[1:]:
        grown = chosen.with_anchor(anchor)
        if len(grown.render(document)) <= MAX_REPLY_CHARS:
            chosen = grown
    return chosen.render(document)


@dataclass(frozen=True)
class Selection:
    """What a reply quotes of `article`: sentences of blocks, and lists (a window of their
    items, whole)."""

    article: Article
    sentences: dict[int, frozenset[int]] = field(default_factory=dict)
    # list index -> (first, last) block index of the items quoted
    lists: dict[int, tuple[int, int]] = field(default_factory=dict)
    # list index -> the item that answered, which a list cut short keeps
    needed: dict[int, int] = field(default_factory=dict)
    shortened: bool = False

    def with_anchor(self, anchor: tuple[int, int]) -> Selection:
        """This selection and the part of the article `anchor` (block, sentence) stands for."""
        block_index, sentence_index = anchor
        block = self.article.blocks[block_index]
        if block.kind is BlockKind.ITEM:
            return self._with_list(block.list_index, block_index)
        following = _list_after(self.article, block_index)
        last = len(block.sentences) - 1
        if (
            following is not None
            and sentence_index == last
            and block.sentences[last].text.endswith(":")
        ):
            # A lead-in ("follow these steps:") says nothing without its list.
            return self._with_list(following, None)
        return self._with_sentences({block_index: {sentence_index}})

    def _with_list(self, list_index: int, item: int | None) -> Selection:
        if list_index in self.lists:
            return self
        items = self.article.list_items(list_index)
        added = self._with_sentences(_lead_in(self.article, items[0]))
        # Steps are a sequence: a later step alone answers nothing, so a numbered list
        # keeps its first steps; among options (bullets), the one that answered stays.
        numbered = self.article.blocks[items[0]].numbered
        answered = items[0] if item is None or numbered else item
        return replace(
            added,
            lists={**self.lists, list_index: (items[0], items[-1])},
            needed={**self.needed, list_index: answered},
        )

    def _with_sentences(self, more: dict[int, set[int]]) -> Selection:
        merged = dict(self.sentences)
        for block_index, indexes in more.items():
            merged[block_index] = merged.get(block_index, frozenset()) | indexes
        return replace(self, sentences=merged)

    def fitted(self, document: DocumentMatch) -> Selection:
        """Lists cut down to whole items around the one that answered, while the reply is
        too long: first the items after it go, then those before it."""
        fitted = self
        for list_index, (first, last) in self.lists.items():
            keep = self.needed.get(list_index, first)
            while len(fitted.render(document)) > MAX_REPLY_CHARS and (first, last) != (keep, keep):
                if last > keep:
                    last -= 1
                else:
                    first += 1
                fitted = replace(
                    fitted, lists={**fitted.lists, list_index: (first, last)}, shortened=True
                )
        return fitted

    def render(self, document: DocumentMatch) -> str:
        """The reply's Markdown: paragraphs apart, a list's items one a line."""
        parts: list[str] = []
        in_list = False
        for index, block in enumerate(self.article.blocks):
            if block.kind is BlockKind.ITEM and self._quoted(index, block.list_index):
                text = block.marked()
                if in_list:
                    parts[-1] += "\n" + text
                else:
                    parts.append(text)
                in_list = True
                continue
            in_list = False
            picked = self.sentences.get(index)
            if picked and block.kind is BlockKind.OTHER:
                parts.append(block.markdown)
            elif picked:
                parts.append(" ".join(block.sentences[i].markdown for i in sorted(picked)))
        if self.shortened:
            parts.append(_more(document))
        return "\n\n".join(parts)

    def _quoted(self, block_index: int, list_index: int) -> bool:
        window = self.lists.get(list_index)
        return window is not None and window[0] <= block_index <= window[1]


def _anchors(article: Article, document: DocumentMatch) -> list[tuple[int, int]]:
    """(block, sentence) of the sentences that answer best, best first."""
    anchors: list[tuple[int, int]] = []
    if document.sentences:
        floor = document.sentences[0].similarity - _SENTENCE_SLACK
        for hit in document.sentences:
            if hit.similarity < floor or len(anchors) == MAX_SENTENCES:
                break
            found = article.locate(hit.passage.text)
            if found is not None:
                anchors.append(_past_heading(article, found))
    if not anchors:
        # No sentence of it matched: the start of its best passage stands in.
        opening = parse_article(document.passages[0].passage.text) if document.passages else None
        sentences = [s.text for block in opening.blocks for s in block.sentences] if opening else []
        found = article.locate(sentences[0]) if sentences else None
        if found is None and not article.blocks:
            return []
        anchors.append(_past_heading(article, found or (0, 0)))
    return list(dict.fromkeys(anchors))


def _past_heading(article: Article, anchor: tuple[int, int]) -> tuple[int, int]:
    """A heading names a section; what answers is the section's first block."""
    block_index = anchor[0]
    while article.blocks[block_index].kind is BlockKind.HEADING and block_index + 1 < len(
        article.blocks
    ):
        block_index += 1
    return (block_index, 0) if block_index != anchor[0] else anchor


def _list_after(article: Article, block_index: int) -> int | None:
    following = block_index + 1
    if following < len(article.blocks) and article.blocks[following].kind is BlockKind.ITEM:
        return article.blocks[following].list_index
    return None


def _lead_in(article: Article, first_item: int) -> dict[int, set[int]]:
    """The paragraph before a list that leads into it ("... follow these steps:"), if any:
    whole when it is short (its lead-in sentence often leans on the one before: "Your final
    bill arrives at your usual bill date. It includes:"), else its last sentence."""
    before = first_item - 1
    if before < 0 or article.blocks[before].kind is not BlockKind.PARAGRAPH:
        return {}
    sentences = article.blocks[before].sentences
    if not sentences or not sentences[-1].text.endswith(":"):
        return {}
    start = 0 if len(sentences) <= _SHORT_LEAD_IN else len(sentences) - 1
    return {before: set(range(start, len(sentences)))}


def _more(document: DocumentMatch) -> str:
    title = document.title.translate(_MARKDOWN_SPECIAL)
    return f"The rest is in the article: [{title}]({help_path(document.doc_id)})"


def _passages_of(document: DocumentMatch) -> str:
    """The best article's retrieved passages in reading order, when it cannot be read
    whole."""
    ordered = sorted(document.passages, key=lambda hit: hit.passage.position)
    return join_passages([hit.passage.text for hit in ordered])
