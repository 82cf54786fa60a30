"""5-fold cross-validation of the negative-tone threshold (escalation/tone.py).

    PYTHONPATH=. python scripts/evaluate_tone_cv.py /work/shared/data/dev

Every dev escalation message (dev KB) and every dev tweet (demo KB) goes through the same
`Responder.respond` as a first message with the tone rule off, and its VADER score is
read. A threshold then escalates a message the bot did not hand over when its tone is at or
below it. The messages of each file are split into five folds (a fixed shuffle); for each
fold the threshold with the best F1 on the other four folds of both files together is
chosen (ties: the stricter), and scored on the fold it never saw. The held-out means are the
cross-validated figures, printed beside "off" (no tone rule) on the same folds.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evaluate import ask, dev_documents, read_jsonl  # scripts/ is on the path of a script it runs

import supportflow.escalation.tone as tone_rule
from supportflow.bot.runtime import open_bot
from supportflow.conversation.context import searchable
from supportflow.settings import Settings

FOLDS = 5
SEED = 10
OFF = -2.0  # below VADER's scale: the rule never fires
GRID = (-0.05, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8, OFF)
# (escalated without the tone rule, tone, should escalate)
Item = tuple[bool, float, bool]


async def decisions(demo_kb: bool, folder: Path, rows: list[dict[str, Any]]) -> list[Item]:
    with tempfile.TemporaryDirectory(prefix="supportflow-tone-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=demo_kb, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            if not demo_kb:
                await runtime.knowledge.ingest_trusted(dev_documents(folder))
            items: list[Item] = []
            for row in rows:
                reply = await ask(runtime, row["text"])
                score = tone_rule.said_tone(searchable(row["text"]))
                items.append((reply.escalate, score, bool(row["should_escalate"])))
            return items
        finally:
            await runtime.close()


def f1(items: Sequence[Item], cut: float) -> float:
    tp = fp = fn = 0
    for escalated, score, wanted in items:
        escalate = escalated or score <= cut
        tp += escalate and wanted
        fp += escalate and not wanted
        fn += wanted and not escalate
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def folds(count: int) -> list[list[int]]:
    order = list(range(count))
    random.Random(SEED).shuffle(order)
    return [sorted(order[k::FOLDS]) for k in range(FOLDS)]


async def main(folder: Path) -> int:
    default = tone_rule.NEGATIVE_TONE
    tone_rule.NEGATIVE_TONE = OFF
    data = {
        "escalation.jsonl": await decisions(False, folder, read_jsonl(folder / "escalation.jsonl")),
        "telco_tweets.jsonl": await decisions(
            True, folder, read_jsonl(folder / "telco_tweets.jsonl")
        ),
    }
    print("in-sample F1 by threshold (never used to choose):")
    for cut in GRID:
        shown = "off" if cut == OFF else f"{cut:+.2f}"
        print(
            f"  {shown:>5}  "
            + "  ".join(f"{name} {f1(items, cut):.3f}" for name, items in data.items())
        )
    split = {name: folds(len(items)) for name, items in data.items()}
    held: dict[str, list[float]] = {name: [] for name in data}
    held_off: dict[str, list[float]] = {name: [] for name in data}
    for k in range(FOLDS):
        train = [
            data[n][i] for n in data for j, fold in enumerate(split[n]) if j != k for i in fold
        ]
        chosen = max(GRID, key=lambda cut: (f1(train, cut), -cut))
        line = f"  fold {k + 1}: chose {chosen:+.2f}"
        for name, items in data.items():
            test = [items[i] for i in split[name][k]]
            held[name].append(f1(test, chosen))
            held_off[name].append(f1(test, OFF))
            line += f"   {name} held-out F1 {held[name][-1]:.3f} (off {f1(test, OFF):.3f})"
        print(line)
    for name, items in data.items():
        print(
            f"5-fold CV F1 {name}: {sum(held[name]) / FOLDS:.3f}"
            f" (off, same folds: {sum(held_off[name]) / FOLDS:.3f}; in-sample at"
            f" {default:+.2f}: {f1(items, default):.3f}, off {f1(items, OFF):.3f})"
        )
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="dev folder (kb, escalation, telco_tweets)")
    sys.exit(asyncio.run(main(parser.parse_args().folder)))
