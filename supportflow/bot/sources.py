"""Which articles a reply cites: the best ones, each article once.

A knowledge base often holds two versions of one article (two answers to one question, a
copy re-ingested under a new id). They score alike, so the first three documents can be
two copies of the best article and one alternative. The copies say the same thing twice
and crowd out the next article, which is the one worth showing when the best guess is
wrong: "is there a charge if I cancel my order" ranked both Cancel order articles ahead of
Check cancellation fee. So a document whose title is near-identical to one already cited
waits until the distinct articles are cited; the ranking itself, and so the answer and its
confidence, do not change.
"""

from __future__ import annotations

from collections.abc import Sequence

from supportflow.knowledge.retrieval import DocumentMatch
from supportflow.knowledge.titles import same_title
from supportflow.rooms.responder import Source

SOURCES_PER_REPLY = 3


def cited_sources(
    documents: Sequence[DocumentMatch], limit: int = SOURCES_PER_REPLY
) -> tuple[Source, ...]:
    """Up to `limit` sources in rank order, other versions of a cited article last."""
    distinct: list[DocumentMatch] = []
    copies: list[DocumentMatch] = []
    for doc in documents:
        if any(same_title(doc.title, cited.title) for cited in distinct):
            copies.append(doc)
        else:
            distinct.append(doc)
    return tuple(
        Source(doc.doc_id, doc.title, round(doc.similarity, 4))
        for doc in (distinct + copies)[:limit]
    )
