"""Asking when a close rival's answer would fit the question better (bot/support.py)."""

from __future__ import annotations

from collections.abc import Sequence

from supportflow.bot.support import EmbedMany, rival_fits_better
from supportflow.knowledge.retrieval import DocumentMatch, Retrieval

CONTENT = {
    "edit": "Edit the details of your Platinum account.",
    "edit-2": "Edit the details of your Platinum account, version two.",
    "switch": "Change your account type to another plan.",
}
QUESTION = "how do I change to the Platinum account type"


async def article(doc_id: str) -> str | None:
    return CONTENT.get(doc_id)


def embedder(closer: str) -> EmbedMany:
    """Embeds the question at (1, 0), an answer holding `closer` near it, others farther."""

    async def embed(texts: Sequence[str]) -> list[list[float]]:
        def vector(text: str) -> list[float]:
            if text == QUESTION:
                return [1.0, 0.0]
            return [0.9, 0.436] if closer in text else [0.5, 0.866]

        return [vector(text) for text in texts]

    return embed


def ranked(*docs: tuple[str, str, float]) -> Retrieval:
    return Retrieval(
        QUESTION,
        tuple(DocumentMatch(i, title, "c", score / 2, score, (), ()) for i, title, score in docs),
    )


CLOSE = ranked(("edit", "Edit account", 1.30), ("switch", "Switch account", 1.26))


async def test_a_close_rival_whose_answer_fits_better_is_asked_about() -> None:
    offered = await rival_fits_better(QUESTION, CLOSE, article, embedder("Change"))
    assert [source.id for source in offered] == ["edit", "switch"]


async def test_the_best_answer_fitting_better_is_answered() -> None:
    assert await rival_fits_better(QUESTION, CLOSE, article, embedder("Edit")) == ()


async def test_a_rival_far_behind_or_a_copy_of_the_best_is_not_asked_about() -> None:
    far = ranked(("edit", "Edit account", 1.40), ("switch", "Switch account", 1.26))
    assert await rival_fits_better(QUESTION, far, article, embedder("Change")) == ()
    copies = ranked(
        ("edit", "Edit account (answer 1)", 1.3), ("edit-2", "Edit account (answer 2)", 1.29)
    )
    assert await rival_fits_better(QUESTION, copies, article, embedder("version")) == ()
    assert await rival_fits_better(QUESTION, ranked(), article, embedder("Change")) == ()
