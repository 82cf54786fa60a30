"""How well the knowledge-gap report groups questions by meaning, on labelled questions.

    .venv/bin/python scripts/evaluate_gaps.py ../shared/data/dev

Clusters the dev set's retrieval questions (each labelled with its intent) the way
`GET /api/reports/knowledge-gaps` does, and scores the topics against the intents with the
adjusted Rand index (1 = the intents exactly, 0 = chance) and V-measure. The distance
threshold is the one fitted number: it is chosen by 5-fold cross-validation (best on four
folds, scored on the fifth), and the figures printed are the held-out ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score, v_measure_score
from sklearn.model_selection import StratifiedKFold

from supportflow.knowledge.embedder import Embedder
from supportflow.reports.gaps import DISTANCE_THRESHOLD, cluster

THRESHOLDS = [round(0.30 + 0.05 * step, 2) for step in range(12)]  # 0.30 .. 0.85


def score(vectors: np.ndarray, intents: list[str], threshold: float) -> tuple[float, float, int]:
    labels = cluster(vectors, threshold)
    return (
        adjusted_rand_score(intents, labels),
        v_measure_score(intents, labels),
        len(set(labels)),
    )


async def main(data_dir: Path) -> None:
    rows = [json.loads(line) for line in (data_dir / "retrieval.jsonl").open(encoding="utf-8")]
    questions = [row["question"] for row in rows]
    intents = [row["intent"] for row in rows]
    embedder = await Embedder.load(None)
    vectors = np.asarray(await embedder.embed_documents(questions), dtype=np.float64)
    print(f"{len(questions)} questions, {len(set(intents))} intents")
    print("threshold  ARI    V      topics   (all questions; for reading, not for choosing)")
    for threshold in THRESHOLDS:
        ari, v, topics = score(vectors, intents, threshold)
        print(f"  {threshold:.2f}     {ari:.3f}  {v:.3f}  {topics}")

    held_out: list[tuple[float, float]] = []
    chosen: list[float] = []
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(questions, intents):
        train_intents = [intents[i] for i in train]
        best = max(THRESHOLDS, key=lambda t: score(vectors[train], train_intents, t)[0])
        ari, v, _ = score(vectors[test], [intents[i] for i in test], best)
        chosen.append(best)
        held_out.append((ari, v))
    aris, vs = zip(*held_out, strict=True)
    print(f"5-fold CV: thresholds chosen {chosen}")
    print(
        f"held-out ARI {statistics.mean(aris):.3f} ± {statistics.stdev(aris):.3f}, "
        f"V-measure {statistics.mean(vs):.3f} ± {statistics.stdev(vs):.3f}"
    )
    ari, v, topics = score(vectors, intents, DISTANCE_THRESHOLD)
    print(f"shipped threshold {DISTANCE_THRESHOLD}: ARI {ari:.3f}, V {v:.3f}, {topics} topics")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    asyncio.run(main(parser.parse_args().data_dir))
