"""Sentence embeddings, computed off the event loop, never downloaded.

`Embedder` is what the rest of supportflow calls: async, batching concurrent rooms'
questions into one encode (batching.py), counting into the metrics. The encoding itself is
a `SentenceEncoder` (sentence_encoder.py): ONNX Runtime or torch, chosen at start-up by
encoder_choice.py.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from weakref import WeakKeyDictionary

from supportflow.knowledge.batching import BatchObserver, BatchPolicy, MicroBatcher
from supportflow.knowledge.encoder_choice import EncoderChoice, load_encoder
from supportflow.knowledge.sentence_encoder import SentenceEncoder
from supportflow.metrics import UNOBSERVED, Metrics

Vector = list[float]
# Vectors one task has already computed (`Embedder.primed`); task-local, so one room's
# turn never answers another's, and nothing outlives the turn that computed it.
_PRIMED: ContextVar[Mapping[str, Vector] | None] = ContextVar("supportflow_primed", default=None)
# Vectors of texts the configuration fixes (`Embedder.embed_fixed`), per encoder object. A
# server makes one app, so this changes nothing there; the test suite makes some 200 apps
# in a few processes, on one shared encoder each (encoder_choice.py), and each app
# embedded the same 166 exemplars again (a fifth of the suite's encoding).
_FIXED: WeakKeyDictionary[SentenceEncoder, dict[str, Vector]] = WeakKeyDictionary()
_FIXED_LOCK = threading.Lock()


def _ignores_case(encoder: SentenceEncoder) -> bool:
    """True when the model's tokenizer lower-cases (all-MiniLM-L6-v2 is uncased): then
    "Thanks" and "thanks" are the same vector, and callers may share one row for both."""
    probe = "Which APN Should I Use"
    cased = encoder.token_ids(probe)
    return bool(cased) and cased == encoder.token_ids(probe.lower())


class Embedder:
    """Normalised sentence vectors; `embed_*` run the model in a worker thread.

    One lock serialises encodes: either encoder already uses every core for one batch, and two
    interleaved batches only thrash the cache. Queries from concurrent rooms are
    micro-batched (`batching.py`); identical texts in one batch share a row.
    """

    def __init__(
        self,
        encoder: SentenceEncoder,
        model_name: str,
        policy: BatchPolicy | None = None,
        observe: BatchObserver | None = None,
        metrics: Metrics = UNOBSERVED,
        fallback_reason: str | None = None,
    ) -> None:
        self.encoder = encoder
        self._metrics = metrics
        self.model_name = model_name
        # Why torch runs although ONNX was asked for (`auto`), for /api/health.
        self.fallback_reason = fallback_reason
        self._lock = threading.Lock()
        self._queries: MicroBatcher[str, Vector] = MicroBatcher(
            self._encode_unique, policy or BatchPolicy(), observe, name="embed"
        )
        self.encoder_kind = encoder.kind
        self.dimension = encoder.dimension
        self.ignores_case = _ignores_case(encoder)

    @classmethod
    async def load(
        cls,
        name_or_path: str | None,
        policy: BatchPolicy | None = None,
        observe: BatchObserver | None = None,
        metrics: Metrics = UNOBSERVED,
        encoder: EncoderChoice = "torch",
        cache_dir: Path | None = None,
    ) -> Embedder:
        """Load and warm up the model without blocking the event loop.

        `encoder` and `cache_dir` (where an ONNX export is kept) as encoder_choice.py says;
        ConfigurationError when `onnx` was asked for and cannot run.
        """
        chosen = await asyncio.to_thread(load_encoder, name_or_path, encoder, cache_dir)
        return cls(
            chosen.encoder,
            name_or_path or "all-MiniLM-L6-v2",
            policy,
            observe,
            metrics,
            chosen.fallback_reason,
        )

    def known_words(self) -> frozenset[str]:
        """Whole words of the model's tokenizer vocabulary: a lexicon of real words."""
        vocab = self.encoder.vocabulary()
        return frozenset(token for token in vocab if token.isalpha() and token.islower())

    async def embed_query(self, text: str) -> Vector:
        """One query's vector, batched with other rooms' concurrent queries.

        The returned list may be shared with other callers: read it, never change it.
        """
        primed = (_PRIMED.get() or {}).get(text)
        if primed is not None:
            return primed
        return await self._queries.submit(text)

    @contextmanager
    def primed(self, vectors: Mapping[str, Vector]) -> Iterator[None]:
        """Inside the block, in this task only, `embed_query` answers these texts directly.

        A bot turn embeds the customer's message for retrieval and again in the escalation
        rules' semantic layer; the turn primes the first result for the second.
        """
        token = _PRIMED.set({**(_PRIMED.get() or {}), **vectors})
        try:
            yield
        finally:
            _PRIMED.reset(token)

    async def embed_documents(self, texts: Sequence[str]) -> list[Vector]:
        if not texts:
            return []
        return await asyncio.to_thread(self.encode_blocking, list(texts))

    async def embed_fixed(self, texts: Sequence[str]) -> list[Vector]:
        """Vectors of texts the configuration fixes (dialogue-act and escalation exemplars):
        each is encoded once per process and encoder, whichever app asks.

        The returned lists are shared: read them, never change them.
        """
        with _FIXED_LOCK:
            known = _FIXED.setdefault(self.encoder, {})
            missing = [text for text in dict.fromkeys(texts) if text not in known]
        if missing:
            encoded = await self.embed_documents(missing)
            with _FIXED_LOCK:
                known.update(zip(missing, encoded, strict=True))
        return [known[text] for text in texts]

    def encode_blocking(self, texts: list[str]) -> list[Vector]:
        """Encode on the calling thread; for worker threads and offline scripts only."""
        with self._lock:
            started = time.perf_counter()
            matrix = self.encoder.encode(texts)
            elapsed = time.perf_counter() - started
        self._metrics.observe_embedding(len(texts), elapsed)
        # tolist() converts the whole matrix in C: a Python loop per float costs more than
        # the encode itself on a large ingest.
        vectors: list[Vector] = matrix.tolist()
        return vectors

    def _encode_unique(self, texts: list[str]) -> list[Vector]:
        # Rooms asking the same question at once (or one room's retrieval and escalation
        # check) share one row of the batch.
        unique = list(dict.fromkeys(texts))
        by_text = dict(zip(unique, self.encode_blocking(unique), strict=True))
        return [by_text[text] for text in texts]
