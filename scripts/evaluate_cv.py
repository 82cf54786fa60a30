"""5-fold cross-validation of one retrieval weight on the dev retrieval questions.

    PYTHONPATH=. python scripts/evaluate_cv.py /work/shared/data/dev
        [--weight title_weight] [--grid 0,0.1,0.2,0.3,0.4,0.5,0.6,0.8]

A weight chosen on the dev questions and scored on the same questions flatters itself.
Here the 270 questions are split into five folds (a fixed shuffle); for each fold the
weight is chosen on the other four (best hit@1, then MRR@3, then the smaller weight) and
scored on the fold it never saw. The mean of those five scores is the cross-validated
figure to print next to the in-sample one.

Scoring is retrieval alone (the ranked documents of `Retriever.search`, first three), not
the whole reply: the weight only moves the ranking. The telco tweets are scored per weight
too, hit@3 on the tweets with article ids against the demo knowledge base; they never take
part in the choice, so they show whether a weight carries to real customer text.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluate import dev_documents, read_jsonl  # scripts/ is on the path of a script it runs

from supportflow.bot.runtime import open_bot
from supportflow.conversation.context import searchable
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.knowledge.retrieval import Retriever
from supportflow.settings import Settings

FOLDS = 5
SEED = 10
WEIGHTS = ("title_weight", "lexical_weight", "sentence_weight")
DEFAULT_GRID = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)


@dataclass(frozen=True)
class Ranks:
    """0-based rank of the first expected article among the first three, per question."""

    ranks: tuple[int | None, ...]

    def hit(self, at: int, chosen: Sequence[int]) -> float:
        return sum(1 for i in chosen if (r := self.ranks[i]) is not None and r < at) / len(chosen)

    def mrr(self, chosen: Sequence[int]) -> float:
        return sum(1 / (r + 1) for i in chosen if (r := self.ranks[i]) is not None) / len(chosen)


async def rank_all(
    knowledge: KnowledgeBase, weight: str, value: float, rows: list[dict[str, Any]], key: str
) -> Ranks:
    retriever = Retriever(knowledge.embedder, knowledge.store, **{weight: value})
    ranks: list[int | None] = []
    for row in rows:
        found = await retriever.search(searchable(row[key]))
        ranked = [doc.doc_id for doc in found.documents[:3]]
        expected = set(row["expected_ids"])
        ranks.append(next((i for i, doc_id in enumerate(ranked) if doc_id in expected), None))
    return Ranks(tuple(ranks))


async def sweep(
    demo_kb: bool,
    documents: Sequence[Document],
    weight: str,
    grid: Sequence[float],
    rows: list[dict[str, Any]],
    key: str,
) -> dict[float, Ranks]:
    """Ranks per grid value, over a private store: the demo articles or `documents`."""
    with tempfile.TemporaryDirectory(prefix="supportflow-cv-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=demo_kb, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            if documents:
                await runtime.knowledge.ingest_trusted(documents)
            return {
                value: await rank_all(runtime.knowledge, weight, value, rows, key) for value in grid
            }
        finally:
            await runtime.close()


def folds(count: int) -> list[list[int]]:
    order = list(range(count))
    random.Random(SEED).shuffle(order)
    return [sorted(order[k::FOLDS]) for k in range(FOLDS)]


def choose(by_value: dict[float, Ranks], train: Sequence[int]) -> float:
    return max(
        by_value,
        key=lambda value: (by_value[value].hit(1, train), by_value[value].mrr(train), -value),
    )


async def main(folder: Path, weight: str, grid: Sequence[float]) -> int:
    questions = read_jsonl(folder / "retrieval.jsonl")
    tweets = [row for row in read_jsonl(folder / "telco_tweets.jsonl") if row["expected_ids"]]
    dev_ranks = await sweep(False, dev_documents(folder), weight, grid, questions, "question")
    tweet_ranks = await sweep(True, [], weight, grid, tweets, "text")
    everything = list(range(len(questions)))
    every_tweet = list(range(len(tweets)))
    print(f"{weight}: in-sample on {len(questions)} dev questions, tweets never used to choose")
    print("  value   dev hit@1  hit@3  MRR@3   tweets hit@3")
    for value in grid:
        dev_at, tweet_at = dev_ranks[value], tweet_ranks[value]
        print(
            f"  {value:5.2f}   {dev_at.hit(1, everything):9.3f}  {dev_at.hit(3, everything):5.3f}"
            f"  {dev_at.mrr(everything):5.3f}   {tweet_at.hit(3, every_tweet):12.3f}"
        )
    # The same folds scored with the first grid value (usually 0: the signal off), which
    # nothing chose: what the chosen weight has to beat on each held-out fold.
    reference = grid[0]
    held_out: list[float] = []
    for k, test in enumerate(folds(len(questions))):
        train = [i for i in everything if i not in set(test)]
        value = choose(dev_ranks, train)
        score = dev_ranks[value].hit(1, test)
        held_out.append(score)
        print(
            f"  fold {k + 1}: chose {value:.2f} on {len(train)}, held-out hit@1 {score:.3f}"
            f" ({reference:.2f}: {dev_ranks[reference].hit(1, test):.3f})"
        )
    print(
        f"  5-fold CV hit@1 {sum(held_out) / len(held_out):.3f}"
        f" ({reference:.2f} throughout: {dev_ranks[reference].hit(1, everything):.3f})"
    )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="dev folder (kb, retrieval, telco_tweets)")
    parser.add_argument("--weight", choices=WEIGHTS, default="title_weight")
    parser.add_argument(
        "--grid", default=",".join(str(v) for v in DEFAULT_GRID), help="comma-separated values"
    )
    arguments = parser.parse_args()
    values = [float(part) for part in arguments.grid.split(",") if part.strip()]
    sys.exit(asyncio.run(main(arguments.folder, arguments.weight, values)))
