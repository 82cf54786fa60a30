"""Ingest speed: passages per second into the knowledge base vs the model's raw encode rate.

In one process and one run: builds N one-passage documents from the demo articles'
paragraphs, encodes exactly the texts an ingest embeds with the bare model (the raw rate),
then ingests the documents through `KnowledgeBase.ingest_trusted` into a fresh embedded
Chroma (chunk, embed, one delete, large upserts). An ingest embeds one vector per passage,
one per sentence and one per title, so both passages/s and vectors/s are printed, and the
ratio compares like with like: the same vectors, bare encode vs the whole ingest. Then a
start over that store is timed: its first search, and the rows the model encoded for it
(the question alone: titles are read back from Chroma, not embedded). Last, the demo
knowledge base's load on first start is timed.

    python scripts/bench_ingest.py --passages 5000
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import machine_description

from supportflow.knowledge.base import IngestLimits, KnowledgeBase, _embedded_text
from supportflow.knowledge.documents import (
    Document,
    split_passages,
    split_sentence_units,
)
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from supportflow.knowledge.sources import demo_documents
from supportflow.metrics import Metrics
from supportflow.settings import Settings

_DEFAULTS = Settings()
LIMITS = IngestLimits(
    chunk_chars=_DEFAULTS.chunk_chars,
    overlap_chars=_DEFAULTS.chunk_overlap_chars,
    max_documents=_DEFAULTS.max_documents_per_ingest,
    max_document_chars=_DEFAULTS.max_document_chars,
)


def synthetic_documents(count: int) -> list[Document]:
    """`count` distinct documents of one passage each, from the demo articles' paragraphs."""
    paragraphs = [
        (doc.title, doc.category, paragraph.strip())
        for doc in demo_documents()
        for paragraph in doc.content.split("\n\n")
        if len(paragraph.strip()) > 80
    ]
    documents = []
    for i in range(count):
        title, category, text = paragraphs[i % len(paragraphs)]
        # The number makes every document distinct (no dedup helps the encoder).
        documents.append(Document(f"bench-{i}", f"{title} (part {i})", category, text))
    return documents


def embedded_texts(documents: list[Document]) -> tuple[list[str], int]:
    units = [
        unit
        for doc in documents
        for unit in split_passages(doc, LIMITS.chunk_chars, LIMITS.overlap_chars)
        + split_sentence_units(doc)
    ]
    passages = sum(1 for unit in units if unit.kind == "passage")
    # Each document's title joins the passages' encode (its vector is stored for retrieval).
    titles = list({doc.id: doc.title for doc in documents}.values())
    return [_embedded_text(unit) for unit in units] + titles, passages


async def measure(count: int) -> None:
    print(f"machine: {machine_description()}")
    embedder = await Embedder.load(None)
    documents = synthetic_documents(count)
    texts, passages = embedded_texts(documents)
    others = len(texts) - passages - len(documents)
    print(f"{len(documents)} documents -> {passages} passages + {others} sentences + titles")

    started = time.perf_counter()
    # The bare encoder (no batcher, no store): the rate to compare against.
    await asyncio.to_thread(embedder.encoder.encode, texts)
    raw = time.perf_counter() - started
    print(
        f"raw encode    : {len(texts) / raw:7.1f} vectors/s  "
        f"({passages / raw:6.1f} passages/s with their sentences)  {raw:6.1f} s"
    )

    with tempfile.TemporaryDirectory(prefix="supportflow-bench-ingest-") as tmp:
        store = await PassageStore.open(Path(tmp) / "chroma", None)
        knowledge = KnowledgeBase(embedder, store, Retriever(embedder, store), LIMITS)
        started = time.perf_counter()
        result = await knowledge.ingest_trusted(documents)
        ingest = time.perf_counter() - started
        stored = await store.count()
        first_search, rows = await restart_and_search(embedder, Path(tmp) / "chroma")
    print(
        f"ingest        : {len(texts) / ingest:7.1f} vectors/s  "
        f"({result.chunks / ingest:6.1f} passages/s)  {ingest:6.1f} s  ({stored} stored)"
    )
    ratio = raw / ingest
    print(
        f"ingest / raw  : {ratio:.2f}x (same vectors)  target >= 0.9x -> "
        f"{'met' if ratio >= 0.9 else 'NOT met'}"
    )
    print(f"after a start : first search {first_search:.2f} s, {rows:.0f} row(s) encoded")

    with tempfile.TemporaryDirectory(prefix="supportflow-bench-demo-") as tmp:
        store = await PassageStore.open(Path(tmp) / "chroma", None)
        knowledge = KnowledgeBase(embedder, store, Retriever(embedder, store), LIMITS)
        demo = demo_documents()
        demo_texts, demo_passages = embedded_texts(demo)
        started = time.perf_counter()
        await knowledge.ingest_trusted(demo)
        elapsed = time.perf_counter() - started
    print(
        f"demo KB load  : {len(demo)} articles, {demo_passages} passages, "
        f"{len(demo_texts)} vectors in {elapsed:.1f} s (model already loaded)"
    )


async def restart_and_search(embedder: Embedder, chroma_dir: Path) -> tuple[float, float]:
    """A new store and knowledge base over `chroma_dir`, as a process starting: the first
    search's seconds (it builds the indexes) and the rows the model encoded for it."""
    metrics = Metrics()
    counted = Embedder(embedder.encoder, embedder.model_name, metrics=metrics)
    store = await PassageStore.open(chroma_dir, None)
    knowledge = KnowledgeBase(counted, store, Retriever(counted, store), LIMITS)
    started = time.perf_counter()
    await knowledge.search("How do I turn on roaming before I travel?")
    elapsed = time.perf_counter() - started
    rows = metrics.registry.get_sample_value("supportflow_embedding_batch_size_sum") or 0.0
    return elapsed, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=5000)
    args = parser.parse_args()
    asyncio.run(measure(args.passages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
