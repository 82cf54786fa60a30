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

from supportflow.knowledge.onnx_export import CHECK_SENTENCES, LONG_CHECK_SENTENCE, ExportManifest
from supportflow.knowledge.sentence_encoder import ENCODE_BATCH, EncoderKind, Matrix

if TYPE_CHECKING:
    from tokenizers import Encoding, Tokenizer

# ONNX Runtime's warnings go to stderr unless told otherwise; 3 = errors only.
_ERRORS_ONLY = 3
_COLUMNS = ("input_ids", "attention_mask", "token_type_ids")
# Tokens (rows x the longest row) per run. ONNX Runtime keeps the memory of its largest run
# for good, and attention grows with rows x tokens squared: runs of 64 passages of 256
# tokens (an ingest) left the encoder at 1,273 MiB resident; runs of 2048 tokens at 378 MiB,
# and the same ingest took 5.6 s of CPU instead of 8.5 (less padding). Questions (~15
# tokens) still go 64 to a run.
TOKENS_PER_RUN = 2048


class OnnxEncoder:
    """Sentence vectors from an exported graph (blocking; thread-safe like its session)."""

    kind: EncoderKind = "onnx"

    def __init__(self, session: Any, tokenizer: Tokenizer, manifest: ExportManifest) -> None:
        self._session = session
        # Each run is padded here, to its own longest text (the runs are cut by length).
        padding = tokenizer.padding
        self._pad_id = int(padding["pad_id"]) if padding else 0
        tokenizer.no_padding()
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
        encodings = self._tokenizer.encode_batch(texts)
        # Longest first, as sentence-transformers does: each run pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        for rows in _runs(order, [len(e.ids) for e in encodings]):
            result[rows] = self._run([encodings[i] for i in rows])
        return result

    def _run(self, encodings: list[Encoding]) -> Matrix:
        longest = max(len(e.ids) for e in encodings)
        columns = {name: np.zeros((len(encodings), longest), np.int64) for name in _COLUMNS}
        columns["input_ids"].fill(self._pad_id)
        for row, encoding in enumerate(encodings):
            width = len(encoding.ids)
            columns["input_ids"][row, :width] = encoding.ids
            columns["attention_mask"][row, :width] = encoding.attention_mask
            columns["token_type_ids"][row, :width] = encoding.type_ids
        feed = {name: columns[name] for name in self._inputs}
        vectors: Matrix = self._session.run(None, feed)[0]
        return vectors

    def vocabulary(self) -> dict[str, int]:
        vocab: dict[str, int] = self._tokenizer.get_vocab(with_added_tokens=True)
        return vocab

    def token_ids(self, text: str) -> list[int]:
        return list(self._tokenizer.encode(text).ids)


def _runs(order: list[int], lengths: list[int]) -> list[list[int]]:
    """`order` (longest first) cut into runs of at most ENCODE_BATCH rows and about
    TOKENS_PER_RUN tokens (one row alone may be longer)."""
    runs: list[list[int]] = []
    for index in order:
        current = runs[-1] if runs else None
        if (
            current is None
            or len(current) == ENCODE_BATCH
            or (len(current) + 1) * lengths[current[0]] > TOKENS_PER_RUN
        ):
            runs.append([index])
        else:
            current.append(index)
    return runs


def difference_from_reference(
    encoder: OnnxEncoder, reference: Matrix, *, pad_the_long_one: bool = True
) -> float:
    """Largest absolute difference between `encoder`'s vectors of CHECK_SENTENCES and
    `reference` (torch's), one by one (not padded) and together (padded).

    `pad_the_long_one=False`, for a cached export checked at every start: the long sentence
    is encoded alone only. Padding the others to its 256 tokens was four fifths of the check
    (0.8 of 1.0 s of CPU a start); every weight, truncation and padding are still checked.
    """
    alone = np.vstack([encoder.encode([sentence]) for sentence in CHECK_SENTENCES])
    if alone.shape != reference.shape:
        return float("inf")
    rows = [
        row
        for row, sentence in enumerate(CHECK_SENTENCES)
        if pad_the_long_one or sentence != LONG_CHECK_SENTENCE
    ]
    together = encoder.encode([CHECK_SENTENCES[row] for row in rows])
    return float(max(np.abs(together - reference[rows]).max(), np.abs(alone - reference).max()))
