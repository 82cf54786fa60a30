"""Measure retrieval, escalation and whole conversations on the labelled data sets.

    PYTHONPATH=. python scripts/evaluate.py /work/shared/data/dev [--show-errors]
        [--only single,tweets,chats]

Three parts, each optional:

- *single* (`kb.jsonl`, `retrieval.jsonl`, `escalation.jsonl`): the knowledge base is
  ingested into a temporary Chroma store, then every question and message goes through the
  same `Responder.respond` that rooms and `POST /api/ask` use, as the first message of a
  fresh conversation. Prints hit@1, hit@3 and MRR (over the 3 articles each reply
  considered: retrieval's ranking), and escalation precision, recall, F1 with the
  confusion table and the reasons that fired.
- *tweets* (`telco_tweets.jsonl`): the same, against the shipped demo knowledge base: hit@3
  on the tweets with article ids, how often the bot cites an article as if it answered one
  of the tweets without, and escalation precision/recall/F1 for each class.
- *chats* (`conversations.jsonl`): a live `supportflow serve` on a free loopback port over a
  temporary data dir, its knowledge base the chats' `kb` articles (`kb.jsonl` for "dev"), and
  every chat played over Socket.IO with a new session (see `chat_player.py`).

Every part also reports, per file, how the answers read (`answer_quality.py`: cut
sentences, broken lists, citation precision, length).

Everything runs offline (no Groq key), so the figures never depend on a network.
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

import httpx
from answer_quality import AnswerQuality
from benchlib import server_process  # scripts/ is on the path of a script it runs
from chat_player import TurnResult, play_all, report
from dense_floor import RankScore, ReplyOutcomes, floor_score, side_by_side

from supportflow.bot.runtime import BotRuntime, open_bot
from supportflow.knowledge.documents import Document
from supportflow.knowledge.sources import demo_documents
from supportflow.rooms.responder import Reply, RoomView
from supportflow.settings import Settings

FIRST_MESSAGE = RoomView(room_id=None, session_id=None, exchange_count=1)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


async def ask(runtime: BotRuntime, text: str) -> Reply:
    return await runtime.responder.respond(FIRST_MESSAGE, [], text)


async def evaluate_retrieval(
    runtime: BotRuntime, rows: list[dict[str, Any]], show: bool, answers: AnswerQuality
) -> None:
    ours = RankScore()
    shown = ReplyOutcomes()
    for row in rows:
        reply = await ask(runtime, row["question"])
        shown.add(reply, row["expected_ids"])
        answers.add(reply.text, [s.id for s in reply.sources], row["expected_ids"])
        ranked = [source.id for source in reply.considered]
        rank = ours.add(ranked, row["expected_ids"])
        if show and rank != 0:
            want = sorted(row["expected_ids"])[0]
            print(f"  miss@1 {row['question'][:70]!r} -> {ranked[:2]} (want {want})")
    floor = await floor_score(
        runtime.knowledge, ((row["question"], row["expected_ids"]) for row in rows)
    )
    print(f"retrieval: {ours.total} questions")
    print(side_by_side("retrieval", ours, floor))
    print(shown.line())


async def evaluate_escalation(
    runtime: BotRuntime,
    rows: list[dict[str, Any]],
    show: bool,
    answers: AnswerQuality,
    text_key: str = "text",
) -> None:
    table: Counter[tuple[bool, bool]] = Counter()
    reasons: Counter[str] = Counter()
    shown = ReplyOutcomes()
    for row in rows:
        reply = await ask(runtime, row[text_key])
        shown.add(reply, row.get("expected_ids"))
        answers.add(reply.text, [s.id for s in reply.sources], row.get("expected_ids"))
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
    print(f"  answer class: precision {_ratio(tn, tn + fn)}   recall {_ratio(tn, tn + fp)}")
    print("  confusion          predicted escalate   predicted answer")
    print(f"  should escalate    {tp:>18}   {fn:>16}")
    print(f"  should answer      {fp:>18}   {tn:>16}")
    print(
        "  reasons fired: " + ", ".join(f"{name} {count}" for name, count in reasons.most_common())
    )
    print(shown.line())


def _ratio(part: int, whole: int) -> str:
    return f"{part / whole:.3f}" if whole else "  -  "


def dev_documents(folder: Path) -> list[Document]:
    return [
        Document(r["id"], r["title"], r.get("category", ""), r["content"])
        for r in read_jsonl(folder / "kb.jsonl")
    ]


async def evaluate_single(folder: Path, show: bool) -> None:
    documents = dev_documents(folder)
    with tempfile.TemporaryDirectory(prefix="supportflow-eval-") as data_dir:
        # Offline answerer and a private store: the figures never depend on a network.
        settings = Settings(data_dir=Path(data_dir), demo_kb=False, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            await runtime.knowledge.ingest_trusted(documents)
            passages = await runtime.knowledge.passage_count()
            print(f"knowledge base: {len(documents)} articles, {passages} passages")
            articles = {d.id: d.content for d in documents}
            retrieval = AnswerQuality(articles)
            escalation = AnswerQuality(articles)
            await evaluate_retrieval(
                runtime, read_jsonl(folder / "retrieval.jsonl"), show, retrieval
            )
            await evaluate_escalation(
                runtime, read_jsonl(folder / "escalation.jsonl"), show, escalation
            )
            print("\n".join(retrieval.lines("retrieval.jsonl", show)))
            print("\n".join(escalation.lines("escalation.jsonl", show)))
        finally:
            await runtime.close()


async def evaluate_tweets(folder: Path, show: bool) -> None:
    rows = read_jsonl(folder / "telco_tweets.jsonl")
    with tempfile.TemporaryDirectory(prefix="supportflow-eval-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=True, groq_api_key=None)
        runtime = await open_bot(settings)
        answers = AnswerQuality({d.id: d.content for d in demo_documents()})
        try:
            with_ids = [row for row in rows if row["expected_ids"]]
            without = [row for row in rows if not row["expected_ids"]]
            ours = RankScore()
            for row in with_ids:
                reply = await ask(runtime, row["text"])
                ranked = [source.id for source in reply.considered][:3]
                rank = ours.add(ranked, row["expected_ids"])
                if show and rank != 0:
                    print(f"  miss@1 {row['text'][:70]!r} -> {ranked} (want {row['expected_ids']})")
            floor = await floor_score(
                runtime.knowledge, ((row["text"], row["expected_ids"]) for row in with_ids)
            )
            cited = 0
            for row in without:
                reply = await ask(runtime, row["text"])
                # A reply that is not a low-confidence hand-over presents an article as the
                # answer; for these tweets no article is one.
                pretends = bool(reply.sources) and "low_confidence" not in reply.reasons
                cited += pretends
                if show and pretends:
                    print(f"  cited {row['text'][:70]!r} -> {reply.sources[0].id}")
            print(f"telco tweets: {len(rows)} ({len(with_ids)} with ids, {len(without)} without)")
            print(side_by_side("with ids", ours, floor))
            print(
                f"  without ids, cited an article anyway: {cited}/{len(without)}"
                f" (no article cited: {(len(without) - cited) / len(without):.3f})"
            )
            await evaluate_escalation(runtime, rows, show, answers, text_key="text")
            print("\n".join(answers.lines("telco_tweets.jsonl", show)))
        finally:
            await runtime.close()


async def evaluate_chats(folder: Path, show: bool) -> None:
    chats = read_jsonl(folder / "conversations.jsonl")
    knowledge_bases = {chat["kb"] for chat in chats}
    if knowledge_bases != {"dev"}:
        raise SystemExit(f"only the dev knowledge base is known, not {knowledge_bases}")
    documents = dev_documents(folder)
    environment = {"GROQ_API_KEY": "", "SUPPORTFLOW_DEMO_KB": "0"}
    with server_process(environment) as server:
        headers = {"Authorization": f"Bearer {server.admin_token}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=300) as http:
            for start in range(0, len(documents), 50):
                body = {
                    "documents": [
                        {
                            "id": d.id,
                            "title": d.title,
                            "category": d.category,
                            "content": d.content,
                        }
                        for d in documents[start : start + 50]
                    ]
                }
                (await http.post("/api/ingest", json=body)).raise_for_status()
        score = await play_all(server.url, chats, server.admin_token)
    report(score, show)
    await print_chat_floor(documents, score.turns)
    answers = AnswerQuality({d.id: d.content for d in documents})
    for turn in score.turns:
        expected = turn.expect["ids"] if turn.kind == "ids" else None
        answers.add(turn.reply, turn.quoted, expected)
    print("\n".join(answers.lines("conversations.jsonl", show)))


async def print_chat_floor(documents: list[Document], turns: list[TurnResult]) -> None:
    """The chats' article turns ranked by the live server, and by the dense floor from the
    customer's message alone (a follow-up's context is the server's to use, not the floor's)."""
    with tempfile.TemporaryDirectory(prefix="supportflow-eval-") as data_dir:
        settings = Settings(data_dir=Path(data_dir), demo_kb=False, groq_api_key=None)
        runtime = await open_bot(settings)
        try:
            await runtime.knowledge.ingest_trusted(documents)
            for name, followup in (("standalone", False), ("follow-ups", True)):
                chosen = [t for t in turns if t.kind == "ids" and t.followup == followup]
                ours = RankScore()
                for turn in chosen:
                    ours.add(turn.sources, turn.expect["ids"])
                floor = await floor_score(
                    runtime.knowledge, ((t.user, t.expect["ids"]) for t in chosen)
                )
                print(side_by_side(name, ours, floor))
        finally:
            await runtime.close()


PARTS = ("single", "tweets", "chats")


async def main(folder: Path, show: bool, parts: set[str]) -> int:
    if "single" in parts:
        await evaluate_single(folder, show)
    if "tweets" in parts:
        await evaluate_tweets(folder, show)
    if "chats" in parts:
        await evaluate_chats(folder, show)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder", type=Path, help="data set folder (kb.jsonl, retrieval.jsonl, escalation.jsonl)"
    )
    parser.add_argument("--show-errors", action="store_true", help="print every miss")
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}"
    )
    arguments = parser.parse_args()
    chosen = {part.strip() for part in arguments.only.split(",") if part.strip()}
    if not chosen <= set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")
    sys.exit(asyncio.run(main(arguments.folder, arguments.show_errors, chosen)))
