"""Whether a close rival's answer would fit the question better than the best article's.

Retrieval ranks articles by how their passages, sentences and title match the question;
what the customer reads is the part of the best article the answerer quotes. When the best
article of another topic is close behind (within SUPPORT_SPREAD in rank score), both
answers are composed as the offline answerer composes them and compared with the question
(cosine of their embeddings, one micro-batch). When the rival's answer is the closer one,
the lead rests on words the answer does not carry ("Platinum" in an article about editing
a Platinum account, for "change to the Platinum account"), and the bot asks rather than
answers, as on a close call (conversation/clarify.py). Issue 26; the spread and its
cross-validation are in docs/answers.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import numpy as np

from supportflow.conversation.clarify import distinct_articles, topic_rival
from supportflow.knowledge.retrieval import Retrieval
from supportflow.llm.offline import ArticleContent, composed
from supportflow.rooms.responder import Source

# Chosen on the dev questions with 5-fold cross-validation (docs/answers.md).
SUPPORT_SPREAD = 0.05

EmbedMany = Callable[[Sequence[str]], Awaitable[list[list[float]]]]


async def rival_fits_better(
    question: str,
    retrieval: Retrieval,
    articles: ArticleContent,
    embed: EmbedMany,
    spread: float = SUPPORT_SPREAD,
) -> tuple[Source, ...]:
    """The best article and its rival to ask about, when the rival (the best article of
    another topic, at most `spread` behind) would answer `question` more closely; else ().
    `articles` reads an article whole, `embed` embeds texts (normalised vectors)."""
    best, rival = retrieval.best, topic_rival(retrieval)
    if best is None or rival is None or best.rank_score - rival.rank_score > spread:
        return ()
    answers = [await composed(articles, doc) for doc in (best, rival)]
    if not all(answers):
        return ()
    vectors = np.asarray(await embed([question, *answers]))
    if float(vectors[0] @ vectors[2]) <= float(vectors[0] @ vectors[1]):
        return ()
    return distinct_articles([best, rival])
