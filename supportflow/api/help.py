"""The help center's JSON: the knowledge base, public and read-only (the `/help` pages).

GET  /api/help/articles                 the articles by category
GET  /api/help/articles/<id>            one article whole (Markdown, as ingested)
GET  /api/help/search?q=...             articles for a question, by the bot's own retrieval
POST /api/help/feedback/<id>   "Was this helpful?" {verdict: up|down}

No token: anyone may read the help center, as anyone may open /chat. What costs something
is limited per client address (`SUPPORTFLOW_HELP_SEARCHES_PER_MINUTE`: a search embeds the
question; `SUPPORTFLOW_HELP_VOTES_PER_MINUTE`: a vote counts in the metrics); reads come
from the knowledge base's cache, and an article id that is not in its catalogue answers 404
without reaching the store. An article an admin deletes is gone from all of it at once (on
other nodes, within `SUPPORTFLOW_KNOWLEDGE_CHECK_SECONDS`: knowledge/freshness.py).
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from quart import Blueprint
from quart_schema import validate_querystring, validate_request, validate_response

from supportflow.api.context import services
from supportflow.api.rate_limits import Costly, check_rate
from supportflow.errors import NotFound
from supportflow.knowledge.article import help_path, parse_article
from supportflow.knowledge.base import DocumentSummary
from supportflow.knowledge.retrieval import DocumentMatch

blueprint = Blueprint("help", __name__, url_prefix="/api/help")
logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 500
SEARCH_RESULTS = 5


class HelpArticleLink(BaseModel):
    id: str
    title: str
    url: str = Field(description="the article's help-center page")


class HelpCategory(BaseModel):
    name: str
    articles: list[HelpArticleLink]


class HelpIndex(BaseModel):
    categories: list[HelpCategory]


class HelpArticle(HelpArticleLink):
    category: str
    updated_at: str
    content: str = Field(description="the article as ingested: Markdown")


class SearchQuery(BaseModel):
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_QUERY_CHARS)] = ""


class HelpResult(HelpArticleLink):
    category: str
    excerpt: str = Field(description="the article's sentence closest to the question")
    score: float


class HelpResults(BaseModel):
    query: str
    results: list[HelpResult]


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    verdict: Literal["up", "down"]


class VoteOut(BaseModel):
    id: str
    verdict: str


@blueprint.get("/articles")
@validate_response(HelpIndex, 200)
async def articles() -> HelpIndex:
    """Every article, grouped by category (public)."""
    grouped: dict[str, list[HelpArticleLink]] = {}
    for summary in await services().bot.knowledge.catalogue():
        grouped.setdefault(summary.category, []).append(_link(summary.id, summary.title))
    return HelpIndex(
        categories=[HelpCategory(name=name, articles=links) for name, links in grouped.items()]
    )


@blueprint.get("/articles/<path:doc_id>")
@validate_response(HelpArticle, 200)
async def article(doc_id: str) -> HelpArticle:
    """One article whole, its content Markdown as ingested (public)."""
    summary = await _listed(doc_id)
    found = await services().bot.knowledge.article(doc_id)
    if found is None:  # deleted since the catalogue was read
        raise NotFound(f"no article {doc_id!r}", "article_not_found")
    return HelpArticle(
        **_link(doc_id, found.title).model_dump(),
        category=found.category or summary.category,
        updated_at=found.updated_at or summary.updated_at,
        content=found.content,
    )


@blueprint.get("/search")
@validate_querystring(SearchQuery)
@validate_response(HelpResults, 200)
async def search(query_args: SearchQuery) -> HelpResults:
    """Articles for a question, best first, found as the bot finds them (public); no
    question, no results."""
    if not query_args.q:
        return HelpResults(query="", results=[])
    check_rate(Costly.HELP_SEARCH)
    retrieval = await services().bot.knowledge.search(query_args.q, SEARCH_RESULTS)
    return HelpResults(query=query_args.q, results=[_result(doc) for doc in retrieval.documents])


@blueprint.post("/feedback/<path:doc_id>")
@validate_request(VoteIn)
@validate_response(VoteOut, 200)
async def vote(doc_id: str, data: VoteIn) -> VoteOut:
    """A reader's "Was this helpful?" on an article (public): counted in
    `supportflow_article_feedback_total{verdict}`."""
    check_rate(Costly.HELP_VOTE)
    await _listed(doc_id)
    services().metrics.article_feedback.labels(verdict=data.verdict).inc()
    logger.info("help-center vote %s on %s", data.verdict, doc_id)
    return VoteOut(id=doc_id, verdict=data.verdict)


async def _listed(doc_id: str) -> DocumentSummary:
    """The article's catalogue entry, or 404: unknown ids never reach the store."""
    for summary in await services().bot.knowledge.catalogue():
        if summary.id == doc_id:
            return summary
    raise NotFound(f"no article {doc_id!r}", "article_not_found")


def _link(doc_id: str, title: str) -> HelpArticleLink:
    return HelpArticleLink(id=doc_id, title=title, url=help_path(doc_id))


def _result(doc: DocumentMatch) -> HelpResult:
    return HelpResult(
        **_link(doc.doc_id, doc.title).model_dump(),
        category=doc.category,
        excerpt=_excerpt(doc),
        score=round(doc.similarity, 4),
    )


def _excerpt(doc: DocumentMatch) -> str:
    """The sentence that matched best, whole; else the best passage's first sentence."""
    if doc.sentences:
        return doc.sentences[0].passage.text
    opening = parse_article(doc.passages[0].passage.text) if doc.passages else None
    first = [s.text for block in opening.blocks for s in block.sentences] if opening else []
    return first[0] if first else doc.title
