"""What asking on a close call changes, and the margin 5-fold cross-validation picks.

    PYTHONPATH=. python scripts/evaluate_close_calls.py /work/shared/data/dev
        [--grid 0,0.01,0.02,0.03,0.04,0.05,0.06,0.08,0.1]

When the best article leads the best article of another topic by at most a margin
(`conversation/clarify.py: topic_lead`), the bot asks "Do you mean: A or B?" rather than
answer from either, or, when a person takes over anyway, hands over without quoting one.
Every dev question goes once through the real responder with that off (margin -1), as a
first message: what it answers, from which article, whether it escalates; and its lead, on
the retrieval the responder reads a first message with. For a margin m, a reply that quotes
an article and leads by at most m quotes nothing instead. Per margin: citation precision
(as `answer_quality.py` counts it), answers from a wrong article and from a right one
withheld, clarifying questions.

The margin is chosen on four folds and scored on the fifth, by two rules: most wrong
answers withheld minus right ones (then the smaller margin); and the smallest margin that
reaches issue 26's target precision of 0.90. The pooled held-out figures are the ones to
quote. A clarifying question is also counted by whether it offers an expected article (the
customer's pick is then answered from it).
Beside them, the plain dense baseline (`dense_floor.py`): answering every question from
its best article by passage similarity, and the same rule on its own scores (the lead of
its best article's passage similarity over another topic's), cross-validated alike. The
telco tweets are scored per margin too (demo knowledge base), never used to choose.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluate import ask, dev_documents, read_jsonl  # scripts/ is on the path of a script
from evaluate_cv import folds

from supportflow.bot.responder import BotResponder
from supportflow.bot.runtime import BotRuntime, open_bot
from supportflow.conversation.clarify import topic_lead
from supportflow.conversation.context import searchable
from supportflow.conversation.reading import read_message
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import PASSAGE
from supportflow.knowledge.titles import same_title
from supportflow.settings import Settings

DEFAULT_GRID = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1)
NEVER = -1.0
TARGET = 0.90  # issue 26's citation precision
_PASSAGES = 20  # as dense_floor.py


@dataclass(frozen=True)
class Quoted:
    """One reply that quotes an article when close calls are not asked about."""

    right: bool  # the quoted article is an expected one
    escalated: bool
    lead: float | None  # over the best article of another topic; None: no other topic
    # The other topics' best articles: (how far below the best, whether it is expected).
    others: tuple[tuple[float, bool], ...] = ()

    def offers_right(self, margin: float) -> bool:
        """Whether "Do you mean ...?" at `margin` offers an expected article."""
        return self.right or any(right for below, right in self.others if below <= margin)


def withheld(row: Quoted, margin: float) -> bool:
    return row.lead is not None and row.lead <= margin


@dataclass(frozen=True)
class Outcome:
    """What a margin does to a set of quoting replies."""

    cited: int
    cited_right: int
    wrong_withheld: int
    right_withheld: int
    clarified: int  # withheld from a reply that did not escalate: a clarifying question
    offered_right: int = 0  # clarifying questions that offer an expected article

    @property
    def precision(self) -> float:
        return self.cited_right / self.cited if self.cited else 0.0

    @property
    def gain(self) -> int:
        return self.wrong_withheld - self.right_withheld

    @property
    def wrong_shown(self) -> int:
        return self.cited - self.cited_right


def outcome(rows: Iterable[Quoted], margin: float) -> Outcome:
    cited = right = wrong_out = right_out = clarified = offered = 0
    for row in rows:
        if withheld(row, margin):
            wrong_out += not row.right
            right_out += row.right
            clarified += not row.escalated
            offered += not row.escalated and row.offers_right(margin)
        else:
            cited += 1
            right += row.right
    return Outcome(cited, right, wrong_out, right_out, clarified, offered)


def summed(outcomes: Iterable[Outcome]) -> Outcome:
    total = Outcome(0, 0, 0, 0, 0, 0)
    for one in outcomes:
        total = Outcome(
            total.cited + one.cited,
            total.cited_right + one.cited_right,
            total.wrong_withheld + one.wrong_withheld,
            total.right_withheld + one.right_withheld,
            total.clarified + one.clarified,
            total.offered_right + one.offered_right,
        )
    return total


# How a margin is chosen on the training folds.
Rule = Callable[[Sequence[Quoted], Sequence[float]], float]


def by_gain(train: Sequence[Quoted], grid: Sequence[float]) -> float:
    """Most wrong answers withheld minus right ones, then the smaller margin."""
    return max(grid, key=lambda m: (outcome(train, m).gain, -m))


def by_target(train: Sequence[Quoted], grid: Sequence[float]) -> float:
    """The smallest margin whose citation precision reaches issue 26's 0.90 (else the
    most precise)."""
    reaching = [m for m in sorted(grid) if outcome(train, m).precision >= TARGET]
    return reaching[0] if reaching else max(grid, key=lambda m: outcome(train, m).precision)


def cross_validated(
    rows: Sequence[Quoted | None], grid: Sequence[float], rule: Rule
) -> tuple[Outcome, list[float]]:
    """The five held-out folds' outcomes summed, and the margin each fold chose by `rule`."""
    chosen: list[float] = []
    held_out: list[Outcome] = []
    for test in folds(len(rows)):
        held = set(test)
        train = [row for i, row in enumerate(rows) if i not in held and row is not None]
        tested = [row for i, row in enumerate(rows) if i in held and row is not None]
        margin = rule(train, grid)
        chosen.append(margin)
        held_out.append(outcome(tested, margin))
    return summed(held_out), chosen


async def quoting_replies(
    runtime: BotRuntime, rows: list[dict[str, Any]], key: str
) -> list[Quoted | None]:
    """Per row, what the responder quotes with close calls never asked (None: nothing)."""
    responder = runtime.responder
    if not isinstance(responder, BotResponder):
        raise SystemExit("the bot's responder is not the knowledge-base responder")
    responder.close_call_margin = NEVER
    quoted: list[Quoted | None] = []
    for row in rows:
        reply = await ask(runtime, row[key])
        if not reply.sources:
            quoted.append(None)
            continue
        retrieval = await read_message(runtime.knowledge.search, searchable(row[key]))
        expected = set(row["expected_ids"])
        best = retrieval.documents[0]
        others = tuple(
            (best.rank_score - doc.rank_score, doc.doc_id in expected)
            for doc in retrieval.documents
            if not same_title(doc.title, best.title)
        )
        right = reply.sources[0].id in expected
        quoted.append(Quoted(right, reply.escalate, topic_lead(retrieval), others))
    return quoted


async def dense_replies(knowledge: KnowledgeBase, rows: list[dict[str, Any]]) -> list[Quoted]:
    """The plain dense baseline: every question answered from its best article by passage
    similarity, its lead the same rule's on those similarities."""
    answered: list[Quoted] = []
    for row in rows:
        vector = await knowledge.embedder.embed_query(row["question"])
        hits = await knowledge.store.nearest(vector, _PASSAGES, PASSAGE)
        best = hits[0].passage
        expected = set(row["expected_ids"])
        others = tuple(
            (hits[0].similarity - hit.similarity, hit.passage.doc_id in expected)
            for hit in hits  # most similar first: an article's first hit is its best
            if not same_title(hit.passage.title, best.title)
        )
        lead = others[0][0] if others else None
        answered.append(Quoted(best.doc_id in expected, False, lead, others))
    return answered


def table(name: str, rows: Sequence[Quoted | None], grid: Sequence[float]) -> None:
    present = [row for row in rows if row is not None]
    print(f"{name}: {len(present)} replies quote an article with close calls never asked")
    print(
        "  margin  citation precision   wrong shown  wrong withheld  right withheld"
        "  asked (offering a right article)"
    )
    for margin in (NEVER, *grid):
        o = outcome(present, margin)
        label = "never" if margin == NEVER else f"{margin:5.2f}"
        print(
            f"  {label:>6}  {o.precision:.3f} ({o.cited_right:>3}/{o.cited:>3})"
            f"   {o.wrong_shown:>11}  {o.wrong_withheld:>14}  {o.right_withheld:>14}"
            f"  {o.clarified:>5} ({o.offered_right})"
        )


def cv_line(name: str, rows: Sequence[Quoted | None], grid: Sequence[float], rule: Rule) -> None:
    pooled, chosen = cross_validated(rows, grid, rule)
    print(
        f"  {name}: held-out citation precision {pooled.precision:.3f}"
        f" ({pooled.cited_right}/{pooled.cited}), wrong shown {pooled.wrong_shown},"
        f" withheld wrong {pooled.wrong_withheld} / right {pooled.right_withheld},"
        f" asked {pooled.clarified} ({pooled.offered_right} offering a right article);"
        f" margins chosen {', '.join(f'{m:.2f}' for m in chosen)}"
    )


async def main(folder: Path, grid: Sequence[float]) -> int:
    questions = read_jsonl(folder / "retrieval.jsonl")
    tweets = [row for row in read_jsonl(folder / "telco_tweets.jsonl") if row["expected_ids"]]
    with tempfile.TemporaryDirectory(prefix="supportflow-close-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=False, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            await runtime.knowledge.ingest_trusted(dev_documents(folder))
            ours = await quoting_replies(runtime, questions, "question")
            dense = await dense_replies(runtime.knowledge, questions)
        finally:
            await runtime.close()
    with tempfile.TemporaryDirectory(prefix="supportflow-close-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=True, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            on_tweets = await quoting_replies(runtime, tweets, "text")
        finally:
            await runtime.close()
    table("dev questions (270), supportflow", ours, grid)
    table("dev questions (270), plain dense baseline", dense, grid)
    table("tweets with ids (48), supportflow (seen, never used to choose)", on_tweets, grid)
    for rule in (by_gain, by_target):
        print(f"5-fold, the margin chosen on four folds: {(rule.__doc__ or '').splitlines()[0]}")
        cv_line("supportflow", ours, grid, rule)
        cv_line("plain dense baseline", list(dense), grid, rule)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="dev folder (kb, retrieval, telco_tweets)")
    parser.add_argument(
        "--grid", default=",".join(str(v) for v in DEFAULT_GRID), help="comma-separated margins"
    )
    arguments = parser.parse_args()
    values = [float(part) for part in arguments.grid.split(",") if part.strip()]
    sys.exit(asyncio.run(main(arguments.folder, values)))
