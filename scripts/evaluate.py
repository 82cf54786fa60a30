"""Measure retrieval and escalation on a labelled data set, through the /api/ask code path.

    PYTHONPATH=. python scripts/evaluate.py /work/shared/data/dev [--show-errors]

The folder must hold `kb.jsonl` (id, title, category, content), `retrieval.jsonl`
(question, expected_ids) and `escalation.jsonl` (text, should_escalate). The knowledge base
is ingested into a temporary Chroma store, then every question and message goes through
the same `Responder.respond` that rooms and `POST /api/ask` use, as the first message of a
fresh conversation. Prints hit@1, hit@3 and MRR (over the 3 cited sources), and escalation
precision, recall, F1 with the confusion table and the reasons that fired.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from supportflow.bot.runtime import BotRuntime, open_bot
from supportflow.knowledge.documents import Document
from supportflow.rooms.responder import Reply, RoomView
from supportflow.settings import Settings

FIRST_MESSAGE = RoomView(room_id=None, session_id=None, exchange_count=1)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


async def ask(runtime: BotRuntime, text: str) -> Reply:
    return await runtime.responder.respond(FIRST_MESSAGE, [], text)


async def evaluate_retrieval(runtime: BotRuntime, rows: list[dict[str, Any]], show: bool) -> None:
    hits1 = hits3 = 0
    reciprocal = 0.0
    for row in rows:
        reply = await ask(runtime, row["question"])
        ranked = [source.id for source in reply.sources]
        expected = set(row["expected_ids"])
        rank = next((i for i, doc_id in enumerate(ranked) if doc_id in expected), None)
        hits1 += rank == 0
        hits3 += rank is not None and rank < 3
        reciprocal += 1 / (rank + 1) if rank is not None else 0.0
        if show and rank != 0:
            print(f"  miss@1 {row['question'][:70]!r} -> {ranked[:2]} (want {sorted(expected)[0]})")
    total = len(rows)
    print(f"retrieval: {total} questions")
    print(
        f"  hit@1 {hits1 / total:.3f}   hit@3 {hits3 / total:.3f}   MRR@3 {reciprocal / total:.3f}"
    )


async def evaluate_escalation(runtime: BotRuntime, rows: list[dict[str, Any]], show: bool) -> None:
    table: Counter[tuple[bool, bool]] = Counter()
    reasons: Counter[str] = Counter()
    for row in rows:
        reply = await ask(runtime, row["text"])
        expected = bool(row["should_escalate"])
        table[(expected, reply.escalate)] += 1
        reasons.update(reply.reasons)
        if show and reply.escalate != expected:
            label = "FP" if reply.escalate else "FN"
            fired = list(reply.reasons)
            print(f"  {label} {row['text'][:70]!r} reasons={fired} conf={reply.confidence:.2f}")
    tp, fp = table[(True, True)], table[(False, True)]
    fn, tn = table[(True, False)], table[(False, False)]
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    print(f"escalation: {len(rows)} messages")
    print(f"  precision {precision:.3f}   recall {recall:.3f}   F1 {f1:.3f}")
    print("  confusion          predicted escalate   predicted answer")
    print(f"  should escalate    {tp:>18}   {fn:>16}")
    print(f"  should answer      {fp:>18}   {tn:>16}")
    print(
        "  reasons fired: " + ", ".join(f"{name} {count}" for name, count in reasons.most_common())
    )


async def main(folder: Path, show: bool) -> int:
    kb_rows = read_jsonl(folder / "kb.jsonl")
    documents = [
        Document(r["id"], r["title"], r.get("category", ""), r["content"]) for r in kb_rows
    ]
    with tempfile.TemporaryDirectory(prefix="supportflow-eval-") as data_dir:
        # Offline answerer and a private store: the figures never depend on a network.
        settings = Settings(data_dir=Path(data_dir), demo_kb=False, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            batch = settings.max_documents_per_ingest
            for start in range(0, len(documents), batch):
                await runtime.knowledge.ingest(documents[start : start + batch])
            passages = await runtime.knowledge.passage_count()
            print(f"knowledge base: {len(documents)} articles, {passages} passages")
            await evaluate_retrieval(runtime, read_jsonl(folder / "retrieval.jsonl"), show)
            await evaluate_escalation(runtime, read_jsonl(folder / "escalation.jsonl"), show)
        finally:
            await runtime.close()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", type=Path, help="data set folder (kb.jsonl, retrieval.jsonl, escalation.jsonl)"
    )
    parser.add_argument("--show-errors", action="store_true", help="print every miss")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.folder, arguments.show_errors)))
