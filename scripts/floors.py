"""The sequential floors a reply is measured against: the bare pipeline, no server.

One floor per encoder: embed one question (torch as sentence-transformers runs it, or the
ONNX export run by ONNX Runtime) and run one top-4 Chroma query of passages, one after the
other in a tight loop in this process, on the benchmark's knowledge base. The torch floor is
what a user of the plain stack pays; the ONNX floor is the limit with the faster encoder.
Both are measured in one loop, alternating question by question, so a burst of another
process's load falls on both alike. Ratios use each floor's median time per question (the
mean is printed too: on a shared machine one stall moves it by hundreds of ms).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from supportflow.knowledge.base import IngestLimits, KnowledgeBase
from supportflow.knowledge.documents import PASSAGE, Document
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.encoder_choice import OnnxUnavailable, checked_onnx_encoder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from supportflow.knowledge.sentence_encoder import SentenceEncoder, TorchEncoder

TOP = 4  # passages per floor query


@dataclass(frozen=True)
class Floor:
    """One encoder's floor: median and mean seconds per question."""

    encoder: str
    median: float
    mean: float

    @property
    def rate(self) -> float:
        """Questions per second, one after the other."""
        return 1 / self.median

    def describe(self) -> str:
        return (
            f"{self.encoder} floor (embed 1 question + 1 top-{TOP} Chroma query, in-process, "
            f"sequential): {self.median * 1000:.1f} ms/question median, {self.rate:.1f} "
            f"questions/s (mean {self.mean * 1000:.1f} ms)"
        )


async def measure_floors(
    documents: list[Document], questions: list[str], repeats: int, cache_dir: Path
) -> list[Floor]:
    """The torch floor, and the ONNX floor when its export checks out (`cache_dir` keeps it)."""
    encoders: dict[str, SentenceEncoder] = {
        "torch": await asyncio.to_thread(TorchEncoder.load, None)
    }
    try:
        encoders["onnx"] = await asyncio.to_thread(checked_onnx_encoder, None, cache_dir)
    except OnnxUnavailable as why:
        print(f"no ONNX floor: {why}")
    embedder = Embedder(encoders["torch"], "all-MiniLM-L6-v2")
    with tempfile.TemporaryDirectory(prefix="supportflow-bench-floor-") as tmp:
        store = await PassageStore.open(Path(tmp) / "chroma", None)
        limits = IngestLimits(800, 120, len(documents), 10**7)
        await KnowledgeBase(embedder, store, Retriever(embedder, store), limits).ingest_trusted(
            documents
        )
        collection = store._collection  # the bare Chroma collection: no batching, no threads

        def question(encoder: SentenceEncoder, text: str) -> float:
            started = time.perf_counter()
            vector = encoder.encode([text])[0].tolist()
            collection.query(query_embeddings=[vector], n_results=TOP, where={"kind": PASSAGE})
            return time.perf_counter() - started

        def loop() -> dict[str, list[float]]:
            times: dict[str, list[float]] = {name: [] for name in encoders}
            for text in questions[:3]:  # warm-up
                for encoder in encoders.values():
                    question(encoder, text)
            for i in range(repeats):
                order = list(encoders.items())
                for name, encoder in order if i % 2 else reversed(order):
                    times[name].append(question(encoder, questions[i % len(questions)]))
            return times

        times = await asyncio.to_thread(loop)
        await store.close()
    return [
        Floor(name, statistics.median(samples), statistics.fmean(samples))
        for name, samples in times.items()
    ]
