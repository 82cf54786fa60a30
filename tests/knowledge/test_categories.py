"""The category layer with the real model: a symptom that names no title finds its area."""

from __future__ import annotations

from supportflow.knowledge.categories import CategoryIndex
from tests.knowledge.shared import shared_embedder

TITLES = {
    "no-signal": ("No signal or no service on your phone", "network"),
    "slow-data": ("Mobile data is slow", "network"),
    "dropped-calls": ("Calls that drop or fail", "network"),
    "bill": ("Reading your bill", "billing"),
    "dispute": ("Disputing a charge", "billing"),
}


async def test_a_symptom_scores_every_article_of_its_area_above_the_other_area() -> None:
    embedder = shared_embedder()
    vectors = await embedder.embed_documents([title for title, _ in TITLES.values()])
    index = CategoryIndex(
        dict(zip(TITLES, vectors, strict=True)),
        {doc_id: category for doc_id, (_, category) in TITLES.items()},
    )
    scores = index.similarities(await embedder.embed_query("zero bars since this morning"))
    assert set(scores) == set(TITLES)
    # One score per category, shared by its articles.
    assert scores["no-signal"] == scores["slow-data"] == scores["dropped-calls"]
    assert scores["no-signal"] > scores["bill"] + 0.05
    money = index.similarities(await embedder.embed_query("why was I charged twice this month"))
    assert money["dispute"] > money["no-signal"] + 0.05


def test_articles_without_a_category_get_no_score() -> None:
    index = CategoryIndex({"a": [1.0, 0.0], "b": [0.0, 1.0]}, {"a": "x", "b": ""})
    assert index.similarities([1.0, 0.0]) == {"a": 1.0}
    assert CategoryIndex({}, {}).similarities([1.0, 0.0]) == {}
