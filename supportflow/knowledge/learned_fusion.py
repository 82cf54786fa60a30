"""How learned examples join the article ranking (the retriever's one hook into them).

A question close to an example an agent confirmed is evidence for that example's article,
as strong as the closeness: an article's `learned` score is the similarity of the question
to its closest example, counted from LEARNED_MIN up (below it, MiniLM similarities between
messages of one domain say little). The score adds to the article's rank

    rank_score += LEARNED_WEIGHT * (learned - LEARNED_MIN) / (1 - LEARNED_MIN)

so a near-paraphrase of a confirmed message (similarity ~0.9) outweighs the usual gap between
the first and second article, while a loose likeness only nudges. It also stands in for the
sentence similarity in the confidence rule when it is the stronger (llm/answer.py): a
confirmed wording is as good a match as a sentence of the article. An article the dense
search did not bring up at all is fetched by its id, so a confirmed article can be found from
words none of its passages share. Both constants are chosen, not fitted; see
scripts/evaluate_learning.py for the 5-fold figures and how they move with them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from supportflow.knowledge.learned_index import LearnedIndex
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.unit_queries import BothKinds
from supportflow.knowledge.unit_rows import PassageHit

LEARNED_WEIGHT = 1.0
LEARNED_MIN = 0.5
# An article that only an example brought in: its units, as many as a search fetches.
_UNITS_PER_ARTICLE = 8


async def learned_scores(index: LearnedIndex | None, vector: list[float]) -> dict[str, float]:
    """Per article, the question's similarity to its closest example, LEARNED_MIN and up."""
    if index is None:
        return {}
    found = await index.similarities(vector)
    return {article: score for article, score in found.items() if score >= LEARNED_MIN}


def learned_bonus(score: float) -> float:
    """What a `learned` score adds to an article's rank score (0 below LEARNED_MIN)."""
    # The constants are read at each call: scripts/evaluate_learning.py varies them.
    return LEARNED_WEIGHT * max(0.0, score - LEARNED_MIN) / (1.0 - LEARNED_MIN)


async def with_learned_articles(
    store: PassageStore,
    vector: list[float],
    scores: dict[str, float],
    passages: Sequence[PassageHit],
    sentences: Sequence[PassageHit],
) -> BothKinds:
    """`passages` and `sentences`, plus the units of learned articles the search missed (an
    article deleted since it was confirmed has none, and stays out)."""
    seen = {hit.passage.doc_id for hit in passages}
    missing = [article for article in scores if article not in seen]
    if not missing:
        return list(passages), list(sentences)
    found = await asyncio.gather(
        *(store.nearest_in_document(vector, article, _UNITS_PER_ARTICLE) for article in missing)
    )
    more_passages = [hit for article_passages, _ in found for hit in article_passages]
    more_sentences = [hit for _, article_sentences in found for hit in article_sentences]
    return list(passages) + more_passages, list(sentences) + more_sentences
