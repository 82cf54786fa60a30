"""Learning from hand-offs, measured: 5-fold over the dev tweets.

    PYTHONPATH=. python scripts/evaluate_learning.py /work/shared/data/dev [--show-errors]
        [--sensitivity] [--questions]

The tweets with article ids are split into five folds (the fixed shuffle of
evaluate_cv.py). For each fold, the tweets of the other four become confirmed learned
examples (each with its first expected article, as an agent marking one article would),
and the fold's tweets are asked as the first message of a fresh conversation, through the
same `Responder.respond` rooms use; a held-out tweet is never its own example. Reported
over all held-out tweets, each condition on the same questions:

- *plain dense floor*: MiniLM over the same passages, best passage per article, nothing
  else (no spelling, lexical, title, sentence or learned signal);
- *supportflow*: the bot as shipped, without learned examples;
- *supportflow + learning*: the same bot with the other folds' examples.

Learning must not make the bot answer what no article answers: the tweets without article
ids are asked with every tweet with ids learned, and how many get an answer citing an
article is printed beside the figure without learning.

hit@1 / hit@3 are over the articles each reply considered (retrieval's ranking); *answered
right* counts replies that were not handed over and cite an expected article first.
`--sensitivity` repeats the learning condition for a few values of the two fusion constants
(knowledge/learned_fusion.py): they were chosen, not fitted, and this shows how much the
figures depend on them. `--questions` runs the same 5-fold on the dev retrieval questions
over the dev articles (`kb.jsonl`), where customers ask the same things in many wordings.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluate import (
    FIRST_MESSAGE,
    dev_documents,
    read_jsonl,
)  # scripts/ is on the path of a script it runs
from evaluate_cv import folds

from supportflow.bot.runtime import BotRuntime, open_bot
from supportflow.knowledge import learned_fusion
from supportflow.knowledge.documents import PASSAGE
from supportflow.learning.examples import learned_index
from supportflow.settings import Settings

SENSITIVITY = ((0.5, 0.5), (1.0, 0.4), (1.0, 0.6), (2.0, 0.5))  # (weight, floor)
_FLOOR_PASSAGES = 40


@dataclass(frozen=True)
class Example:
    example_id: str
    article_id: str
    text: str


class FoldExamples:
    """The learned examples of one fold's training tweets (the store's role)."""

    def __init__(self, examples: Sequence[Example]) -> None:
        self._examples = list(examples)

    async def learned_examples(self) -> list[Example]:
        return self._examples

    async def learned_examples_mark(self) -> tuple[int, int]:
        return len(self._examples), 0


@dataclass
class Score:
    hit1: int = 0
    hit3: int = 0
    answered_right: int = 0
    total: int = 0

    def add(self, ranked: Sequence[str], expected: set[str], answered_first: str | None) -> bool:
        self.total += 1
        self.hit1 += bool(ranked[:1]) and ranked[0] in expected
        self.hit3 += any(doc_id in expected for doc_id in ranked[:3])
        right = answered_first is not None and answered_first in expected
        self.answered_right += right
        return bool(ranked[:1]) and ranked[0] in expected

    def line(self, name: str) -> str:
        return (
            f"  {name:<28} hit@1 {self.hit1 / self.total:.3f}   hit@3 {self.hit3 / self.total:.3f}"
            f"   answered right {self.answered_right}/{self.total}"
        )


async def dense_floor(runtime: BotRuntime, text: str) -> list[str]:
    """Articles by their best passage's similarity to the raw message, nothing else."""
    knowledge = runtime.knowledge
    vector = await knowledge.embedder.embed_query(text)
    hits = await knowledge.store.nearest(vector, _FLOOR_PASSAGES, PASSAGE)
    return list(dict.fromkeys(hit.passage.doc_id for hit in hits))


async def bot_answer(runtime: BotRuntime, text: str) -> tuple[list[str], str | None]:
    reply = await runtime.responder.respond(FIRST_MESSAGE, [], text)
    ranked = [source.id for source in reply.considered]
    answered = reply.sources[0].id if reply.sources and not reply.escalate else None
    return ranked, answered


async def learning_condition(runtime: BotRuntime, rows: list[dict[str, Any]], show: bool) -> Score:
    """The bot with, for each fold, the other four folds as learned examples."""
    retriever = runtime.knowledge.retriever
    score = Score()
    for k, test in enumerate(folds(len(rows))):
        held_out = set(test)
        examples = [
            Example(f"t{i}", row["expected_ids"][0], row["text"])
            for i, row in enumerate(rows)
            if i not in held_out
        ]
        retriever.learned = learned_index(
            runtime.knowledge.embedder.embed_documents, FoldExamples(examples), 3600
        )
        for i in test:
            ranked, answered = await bot_answer(runtime, rows[i]["text"])
            if not score.add(ranked, set(rows[i]["expected_ids"]), answered) and show:
                print(f"    fold {k + 1} miss@1 {rows[i]['text'][:70]!r} -> {ranked[:2]}")
    retriever.learned = None
    return score


async def cited_without_article(
    runtime: BotRuntime, rows: list[dict[str, Any]], examples: list[Example]
) -> int:
    """How many of `rows` (tweets no article answers) get an answer citing an article, with
    `examples` learned: what learning must not raise."""
    retriever = runtime.knowledge.retriever
    if examples:
        retriever.learned = learned_index(
            runtime.knowledge.embedder.embed_documents, FoldExamples(examples), 3600
        )
    cited = 0
    for row in rows:
        _, answered = await bot_answer(runtime, row["text"])
        cited += answered is not None
    retriever.learned = None
    return cited


async def compared(runtime: BotRuntime, rows: list[dict[str, Any]], show: bool) -> list[str]:
    """The floor, the bot, and the bot learning from the other folds, as report lines."""
    floor, plain = Score(), Score()
    for row in rows:
        expected = set(row["expected_ids"])
        floor.add(await dense_floor(runtime, row["text"]), expected, None)
        ranked, answered = await bot_answer(runtime, row["text"])
        plain.add(ranked, expected, answered)
    learned = await learning_condition(runtime, rows, show)
    return [
        floor.line("plain dense floor"),
        plain.line("supportflow"),
        learned.line("supportflow + learning"),
    ]


async def evaluate_tweets(folder: Path, show: bool, sensitivity: bool) -> None:
    tweets = read_jsonl(folder / "telco_tweets.jsonl")
    rows = [row for row in tweets if row["expected_ids"]]
    without = [row for row in tweets if not row["expected_ids"]]
    every_example = [
        Example(f"t{i}", row["expected_ids"][0], row["text"]) for i, row in enumerate(rows)
    ]
    with tempfile.TemporaryDirectory(prefix="supportflow-learning-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=True, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            lines = await compared(runtime, rows, show)
            print(f"telco tweets with article ids: {len(rows)}, 5-fold (4 folds learned, 1 asked)")
            print("\n".join(lines))
            before = await cited_without_article(runtime, without, [])
            after = await cited_without_article(runtime, without, every_example)
            print(
                f"  tweets no article answers: {len(without)}; answered citing an article"
                f" {before} without learning, {after} with all {len(rows)} examples learned"
            )
            if sensitivity:
                print("  fusion constants (weight, floor), learning condition:")
                chosen = (learned_fusion.LEARNED_WEIGHT, learned_fusion.LEARNED_MIN)
                for weight, minimum in SENSITIVITY:
                    learned_fusion.LEARNED_WEIGHT, learned_fusion.LEARNED_MIN = weight, minimum
                    varied = await learning_condition(runtime, rows, False)
                    print(varied.line(f"  {weight:.1f}, {minimum:.1f}"))
                learned_fusion.LEARNED_WEIGHT, learned_fusion.LEARNED_MIN = chosen
        finally:
            await runtime.close()


async def evaluate_questions(folder: Path, show: bool) -> None:
    """The same on the dev retrieval questions over the dev articles: customers asking the
    same things in their own words, the case learning is for."""
    rows = [
        {"text": row["question"], "expected_ids": row["expected_ids"]}
        for row in read_jsonl(folder / "retrieval.jsonl")
    ]
    with tempfile.TemporaryDirectory(prefix="supportflow-learning-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=False, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            await runtime.knowledge.ingest_trusted(dev_documents(folder))
            lines = await compared(runtime, rows, show)
            print(f"dev retrieval questions: {len(rows)}, 5-fold (4 folds learned, 1 asked)")
            print("\n".join(lines))
        finally:
            await runtime.close()


async def main(folder: Path, show: bool, sensitivity: bool, questions: bool) -> int:
    await evaluate_tweets(folder, show, sensitivity)
    if questions:
        await evaluate_questions(folder, show)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="dev folder (telco_tweets.jsonl)")
    parser.add_argument("--show-errors", action="store_true")
    parser.add_argument("--sensitivity", action="store_true")
    parser.add_argument("--questions", action="store_true", help="the dev questions too")
    arguments = parser.parse_args()
    sys.exit(
        asyncio.run(
            main(
                arguments.folder,
                arguments.show_errors,
                arguments.sensitivity,
                arguments.questions,
            )
        )
    )
