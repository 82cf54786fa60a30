"""The sentence model run by ONNX Runtime, from an export made by onnx_export.py.

The graph returns finished vectors (pooled and normalised), so encoding is tokenising with
the model's own fast tokenizer (Rust, from the `tokenizers` package transformers installs)
and one `InferenceSession.run` per batch. Neither torch nor transformers is imported: a
server that finds a checked export in its cache never loads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from supportflow.knowledge.onnx_export import CHECK_SENTENCES, ExportManifest
from supportflow.knowledge.sentence_encoder import ENCODE_BATCH, EncoderKind, Matrix

if TYPE_CHECKING:
    from tokenizers import Tokenizer

# ONNX Runtime's warnings go to stderr unless told otherwise; 3 = errors only.
_ERRORS_ONLY = 3


class OnnxEncoder:
    """Sentence vectors from an exported graph (blocking; thread-safe like its session)."""

    kind: EncoderKind = "onnx"

    def __init__(self, session: Any, tokenizer: Tokenizer, manifest: ExportManifest) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = manifest.inputs
        self.dimension = manifest.dimension

    @classmethod
    def open(cls, graph: Path, tokenizer: Path, manifest: ExportManifest) -> OnnxEncoder:
        """Load the graph into a session and the tokenizer (blocking; ImportError without
        onnxruntime or tokenizers)."""
        import onnxruntime
        from tokenizers import Tokenizer

        options = onnxruntime.SessionOptions()
        options.log_severity_level = _ERRORS_ONLY
        # ONNX Runtime's pool spins after each run by default, waiting for more work: on a
        # server that shares its cores with the event loop that spin is stolen time. Off,
        # one question took 5.3 ms of CPU instead of 9.9 (and 17.9 ms wall instead of 23.9)
        # in the same run, 2 loaded cores, questions 5 ms apart.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            str(graph), options, providers=["CPUExecutionProvider"]
        )
        return cls(session, Tokenizer.from_file(str(tokenizer)), manifest)

    def encode(self, texts: list[str]) -> Matrix:
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        # Longest first, as sentence-transformers does: each batch pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), ENCODE_BATCH):
            rows = order[start : start + ENCODE_BATCH]
            result[rows] = self._run([texts[i] for i in rows])
        return result

    def _run(self, texts: list[str]) -> Matrix:
        encodings = self._tokenizer.encode_batch(texts)
        columns = {
            "input_ids": [e.ids for e in encodings],
            "attention_mask": [e.attention_mask for e in encodings],
            "token_type_ids": [e.type_ids for e in encodings],
        }
        feed = {name: np.asarray(columns[name], dtype=np.int64) for name in self._inputs}
        vectors: Matrix = self._session.run(None, feed)[0]
        return vectors

    def vocabulary(self) -> dict[str, int]:
        vocab: dict[str, int] = self._tokenizer.get_vocab(with_added_tokens=True)
        return vocab

    def token_ids(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text).ids)


def difference_from_reference(encoder: OnnxEncoder, reference: Matrix) -> float:
    """Largest absolute difference between `encoder`'s vectors of CHECK_SENTENCES and
    `reference` (torch's), encoded together (padded) and one by one (not padded)."""
    together = encoder.encode(list(CHECK_SENTENCES))
    alone = np.vstack([encoder.encode([sentence]) for sentence in CHECK_SENTENCES])
    if together.shape != reference.shape:
        return float("inf")
    return float(max(np.abs(together - reference).max(), np.abs(alone - reference).max()))
