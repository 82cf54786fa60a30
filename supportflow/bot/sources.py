"""Which articles a reply names: the one it quotes, the close ones it offers, the ones it weighed.

- `sources`: the article(s) the reply's text came from (the offline answerer quotes one;
  Groq cites the ids it used). Nothing else: a source is a claim that this article says
  what the reply says. A hand-over sentence quotes nothing, so it has none.
- `related`: other articles close enough to the question to be a real alternative (rank
  score within RELATED_SPREAD of the best), offered to the customer as "Also: ..." quick
  replies, when the bot answered. Chosen, not fitted: the spread is the one a clarifying
  question uses for "a real alternative" (conversation/clarify.py).
- `considered`: the best distinct articles retrieval ranked, whether quoted or not: the
  agent console shows them with a handed-over reply, and evaluation scores retrieval on
  them (scripts/evaluate.py).

A knowledge base often holds two versions of one article (two answers to one question, a
copy re-ingested under a new id). They score alike, so the first three documents can be
two copies of the best article and one alternative. The copies say the same thing twice
and crowd out the next article, which is the one worth showing when the best guess is
wrong: "is there a charge if I cancel my order" ranked both Cancel order articles ahead of
Check cancellation fee. So a document whose title is near-identical to one already named
waits until the distinct articles are named (`considered`), and is never offered as
related to its own copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.knowledge.retrieval import DocumentMatch
from supportflow.knowledge.titles import same_title
from supportflow.rooms.responder import Source

CONSIDERED_PER_REPLY = 3
MAX_RELATED = 2
RELATED_SPREAD = 0.15


@dataclass(frozen=True)
class Citations:
    """The articles one reply names, each list best first."""

    sources: tuple[Source, ...] = ()
    related: tuple[Source, ...] = ()
    considered: tuple[Source, ...] = ()


def citations(
    cited: Sequence[str], documents: Sequence[DocumentMatch], *, quoted: bool, offered: bool
) -> Citations:
    """What a reply names. `cited`: the ids the answer's text came from; `quoted`: whether
    the customer reads that text (not a hand-over sentence); `offered`: whether to offer
    related articles (the bot answered and carries on)."""
    by_id = {doc.doc_id: doc for doc in documents}
    sources = (
        [by_id[doc_id] for doc_id in dict.fromkeys(cited) if doc_id in by_id] if quoted else []
    )
    related: list[DocumentMatch] = []
    if offered and sources and documents:
        best = documents[0].rank_score
        for doc in documents:
            if len(related) == MAX_RELATED:
                break
            if best - doc.rank_score <= RELATED_SPREAD and not any(
                same_title(doc.title, other.title) for other in [*sources, *related]
            ):
                related.append(doc)
    return Citations(
        tuple(_source(doc) for doc in sources),
        tuple(_source(doc) for doc in related),
        cited_sources(documents),
    )


def cited_sources(
    documents: Sequence[DocumentMatch], limit: int = CONSIDERED_PER_REPLY
) -> tuple[Source, ...]:
    """Up to `limit` sources in rank order, other versions of a named article last."""
    distinct: list[DocumentMatch] = []
    copies: list[DocumentMatch] = []
    for doc in documents:
        if any(same_title(doc.title, named.title) for named in distinct):
            copies.append(doc)
        else:
            distinct.append(doc)
    return tuple(_source(doc) for doc in (distinct + copies)[:limit])


def _source(doc: DocumentMatch) -> Source:
    return Source(doc.doc_id, doc.title, round(doc.similarity, 4), doc.category)
