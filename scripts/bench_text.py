"""Time the pure-Python text steps of one bot reply, in-process, on real messages.

    PYTHONPATH=. python scripts/bench_text.py [/work/shared/data/dev] [--rounds 5]

The steps that hold the GIL on every reply besides the model and Chroma: the escalation
word rules (tokenise, stem, typo matching), typo repair of the query, and the BM25 scores.
Messages are the data set's escalation texts and retrieval questions; the index is the
demo knowledge base, as `bench_chat.py` serves it. "cold" is the first pass over the
messages with fresh objects (every match cache empty), "warm" the best of the next rounds,
as a long-running server sees them. Prints microseconds per message; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from supportflow.escalation.policy import WordRules
from supportflow.escalation.rules_file import load_rules
from supportflow.knowledge.documents import split_passages
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.lexical import LexicalIndex
from supportflow.knowledge.sentence_encoder import TorchEncoder
from supportflow.knowledge.sources import demo_documents
from supportflow.knowledge.spelling import Vocabulary
from supportflow.settings import Settings


def read_texts(folder: Path) -> list[str]:
    texts: list[str] = []
    for name, key in (("escalation.jsonl", "text"), ("retrieval.jsonl", "question")):
        with (folder / name).open(encoding="utf-8") as lines:
            texts += [json.loads(line)[key] for line in lines if line.strip()]
    return texts


def per_message_us(step: Callable[[str], object], texts: Sequence[str]) -> float:
    started = time.perf_counter()
    for text in texts:
        step(text)
    return (time.perf_counter() - started) / len(texts) * 1e6


def measure(
    name: str, build: Callable[[], Callable[[str], object]], texts: Sequence[str], rounds: int
) -> None:
    started = time.perf_counter()
    step = build()
    built_ms = (time.perf_counter() - started) * 1000
    cold = per_message_us(step, texts)
    warm = min(per_message_us(step, texts) for _ in range(rounds))
    print(
        f"{name:<14} cold {cold:8.1f} us/msg   warm {warm:8.1f} us/msg   build {built_ms:7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=Path("/work/shared/data/dev"))
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    texts = read_texts(arguments.folder)
    settings = Settings()
    known = Embedder(TorchEncoder.load(None), "all-MiniLM-L6-v2").known_words()
    passages = [
        passage
        for document in demo_documents()
        for passage in split_passages(document, settings.chunk_chars, settings.chunk_overlap_chars)
    ]
    passage_texts = [f"{p.title} {p.text}" for p in passages]
    rules = load_rules(settings.rules_path)
    print(f"{len(texts)} messages; index: {len(passages)} demo passages")
    measure("word rules", lambda: WordRules(rules, known).reasons, texts, arguments.rounds)
    measure(
        "typo repair",
        lambda: Vocabulary.from_texts(passage_texts, known).clean_query,
        texts,
        arguments.rounds,
    )
    measure("bm25", lambda: LexicalIndex(passages).document_scores, texts, arguments.rounds)


if __name__ == "__main__":
    main()
