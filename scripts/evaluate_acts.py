"""Measure the dialogue-act classifier, with the threshold fitted by 5-fold cross-validation.

    PYTHONPATH=. python scripts/evaluate_acts.py [--data tests/conversation/dialogue_acts.jsonl]
        [--dev /work/shared/data/dev] [--show-errors]

The labelled set (`text`, `act` or null for a question) is hand-written, apart from the
exemplars in the conversation file and from the dev chats. The only fitted number is the
cosine `threshold`: in-sample, it is chosen on the whole set; cross-validated, on four
folds and scored on the fifth (shuffled once, seed 7). A message counts as right when the
act (or "not small talk") is the labelled one. With `--dev`, it also counts how many of
the dev set's single questions and escalation messages (never small talk) it would take
for small talk, at the shipped threshold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path
from typing import Any

from supportflow.conversation.acts import ClauseScore, DialogueActs
from supportflow.conversation.config import load_conversation_rules
from supportflow.knowledge.embedder import Embedder

CANDIDATES = [round(0.30 + 0.01 * step, 2) for step in range(66)]
FOLDS = 5


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def accuracy(
    acts: DialogueActs, scored: list[tuple[list[ClauseScore] | None, str | None]], threshold: float
) -> float:
    right = 0
    for clauses, label in scored:
        found = acts.decide(clauses, threshold)
        right += (found.name if found else None) == label
    return right / len(scored)


def best_threshold(
    acts: DialogueActs, scored: list[tuple[list[ClauseScore] | None, str | None]]
) -> float:
    # Ties go to the middle of the best run: the least fitted choice.
    figures = [accuracy(acts, scored, t) for t in CANDIDATES]
    top = max(figures)
    best = [t for t, figure in zip(CANDIDATES, figures, strict=True) if figure == top]
    return best[len(best) // 2]


async def main(data: Path, dev: Path | None, show: bool) -> int:
    rules = load_conversation_rules().dialogue_acts
    embedder = await Embedder.load(None)
    acts = await DialogueActs.build(rules, embedder)
    rows = read_jsonl(data)
    scored = [(await acts.score_clauses(row["text"]), row["act"]) for row in rows]
    fitted = best_threshold(acts, scored)
    print(
        f"dialogue acts: {len(rows)} labelled messages"
        f" ({sum(r['act'] is None for r in rows)} questions)"
    )
    print(
        f"  shipped threshold {rules.threshold}:"
        f" accuracy {accuracy(acts, scored, rules.threshold):.3f}"
    )
    curve = ", ".join(f"{t}:{accuracy(acts, scored, t):.3f}" for t in CANDIDATES[::5])
    print(f"  accuracy by threshold: {curve}")
    print(f"  in-sample: threshold {fitted}, accuracy {accuracy(acts, scored, fitted):.3f}")
    order = list(range(len(scored)))
    random.Random(7).shuffle(order)
    right = 0
    chosen: list[float] = []
    for fold in range(FOLDS):
        held = {index for position, index in enumerate(order) if position % FOLDS == fold}
        train = [scored[i] for i in order if i not in held]
        test = [scored[i] for i in sorted(held)]
        threshold = best_threshold(acts, train)
        chosen.append(threshold)
        right += round(accuracy(acts, test, threshold) * len(test))
    print(f"  5-fold CV: accuracy {right / len(scored):.3f} (thresholds {chosen})")
    if show:
        for (clauses, label), row in zip(scored, rows, strict=True):
            found = acts.decide(clauses, rules.threshold)
            if (found.name if found else None) != label:
                detail = [
                    (c.clause, c.act, round(c.cosine, 2), round(c.spelling, 2))
                    for c in clauses or []
                ]
                print(
                    f"  wrong {row['text']!r} want={label}"
                    f" got={found.name if found else None} {detail}"
                )
    if dev is not None:
        texts = [r["question"] for r in read_jsonl(dev / "retrieval.jsonl")]
        texts += [r["text"] for r in read_jsonl(dev / "escalation.jsonl")]
        taken = [text for text in texts if await acts.classify(text) is not None]
        print(
            "  dev questions and escalation messages taken for small talk:"
            f" {len(taken)}/{len(texts)}"
        )
        for text in taken[:20]:
            print(f"    {text!r}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("tests/conversation/dialogue_acts.jsonl"))
    parser.add_argument("--dev", type=Path, default=None)
    parser.add_argument("--show-errors", action="store_true")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.data, arguments.dev, arguments.show_errors)))
