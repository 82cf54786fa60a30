"""Which encoder runs the sentence model: ONNX Runtime when its export checks out, or torch.

`SUPPORTFLOW_ENCODER` decides: `auto` (the default) runs ONNX when an export agrees with
torch on the fixed check sentences and falls back to torch with a warning otherwise
(onnxruntime not installed, a model the exporter does not handle, a failed check); `onnx`
refuses to start instead of falling back; `torch` never exports.

The export is made on the first start (or when the model files or the exporting libraries
changed since) into the cache directory, `<data dir>/encoder` unless
`SUPPORTFLOW_ENCODER_CACHE_DIR` says otherwise: loading torch, tracing, writing ~90 MB,
about ten seconds once, in a child process so the server never holds torch
(`export_process.py`). Every later start only loads the graph and checks it again against
the torch vectors stored beside it (a quarter of a second of CPU), without importing torch.
Everything here blocks: `Embedder.load` runs it in a worker thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from filelock import FileLock

from supportflow.errors import ConfigurationError
from supportflow.knowledge.export_process import export_in_child
from supportflow.knowledge.onnx_encoder import OnnxEncoder, difference_from_reference
from supportflow.knowledge.onnx_export import (
    TOLERANCE,
    ExportCache,
    ExportFailed,
    ExportManifest,
    model_identity,
)
from supportflow.knowledge.sentence_encoder import SentenceEncoder, TorchEncoder, default_model_path

log = logging.getLogger(__name__)

EncoderChoice = Literal["auto", "onnx", "torch"]
ENCODER_CHOICES: tuple[EncoderChoice, ...] = ("auto", "onnx", "torch")


class OnnxUnavailable(Exception):
    """Why the ONNX encoder cannot run here (the message is shown to the operator)."""


@dataclass(frozen=True)
class ChosenEncoder:
    """The encoder that runs, and why it is not ONNX when ONNX was wanted."""

    encoder: SentenceEncoder
    fallback_reason: str | None = None


def load_encoder(
    name_or_path: str | None, choice: EncoderChoice, cache_root: Path | None
) -> ChosenEncoder:
    """The encoder `choice` asks for (blocking). ConfigurationError when `onnx` cannot run."""
    if choice == "torch":
        return ChosenEncoder(TorchEncoder.load(name_or_path))
    try:
        return ChosenEncoder(checked_onnx_encoder(name_or_path, cache_root))
    except OnnxUnavailable as why:
        if choice == "onnx":
            raise ConfigurationError(f"SUPPORTFLOW_ENCODER=onnx, but {why}") from why
        log.warning("the ONNX encoder cannot run (%s): the model runs on torch instead", why)
        return ChosenEncoder(TorchEncoder.load(name_or_path), str(why))


def checked_onnx_encoder(name_or_path: str | None, cache_root: Path | None) -> OnnxEncoder:
    """The ONNX encoder from the cached export, made (again) first when it is missing, stale
    or no longer agrees with torch; OnnxUnavailable when that cannot be done."""
    if cache_root is None:
        raise OnnxUnavailable("no cache directory was given for the export")
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as error:
        raise OnnxUnavailable(f"{error.name} is not installed") from error
    model_dir = Path(name_or_path or default_model_path())
    if not model_dir.is_dir():
        raise OnnxUnavailable(f"{name_or_path!r} is not a local model directory to export")
    cache = ExportCache(cache_root, model_dir)
    cache.directory.mkdir(parents=True, exist_ok=True)
    identity = model_identity(model_dir)
    with FileLock(str(cache.lock_file)):  # another process starting now waits, then reuses
        encoder = _cached(cache, identity)
        if encoder is None:
            encoder = _export_checked(name_or_path, cache_root, cache, identity)
    return encoder


# Exports this process has loaded and checked, by their files as they were then. A second
# app in one process (the test suite's servers, a host embedding several apps) shares the
# session instead of loading and checking the same files again (half a second of CPU).
_checked: dict[tuple[Path, tuple[int, ...]], OnnxEncoder] = {}
_checked_lock = threading.Lock()


def _cached(cache: ExportCache, identity: dict[str, Any]) -> OnnxEncoder | None:
    manifest = cache.manifest()
    if manifest is None or manifest.identity != identity:
        return None
    try:
        files = (cache.manifest_file, cache.graph, cache.tokenizer, cache.reference)
        key = (cache.directory, tuple(n for f in files for n in _size_and_time(f)))
    except OSError:
        return None  # a file missing: exported again
    with _checked_lock:
        if key in _checked:
            return _checked[key]
    encoder = _open_checked(cache, manifest)
    if encoder is not None:
        with _checked_lock:
            _checked[key] = encoder
    return encoder


def _size_and_time(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _open_checked(cache: ExportCache, manifest: ExportManifest) -> OnnxEncoder | None:
    try:
        encoder = OnnxEncoder.open(cache.graph, cache.tokenizer, manifest)
        difference = difference_from_reference(
            encoder, cache.reference_vectors(), pad_the_long_one=False
        )
    except Exception as error:  # a damaged file: ONNX Runtime, tokenizers, numpy all differ
        log.warning("the cached ONNX export cannot be read (%r): exporting it again", error)
        return None
    if difference > TOLERANCE:
        log.warning(
            "the cached ONNX export differs from torch by %.2g: exporting again", difference
        )
        return None
    log.info("sentence encoder: ONNX Runtime, cached export (torch within %.2g)", difference)
    return encoder


def _export_checked(
    name_or_path: str | None, cache_root: Path, cache: ExportCache, identity: dict[str, Any]
) -> OnnxEncoder:
    log.info("exporting the sentence model to ONNX in %s (once)", cache.directory)
    try:
        manifest, reference = export_in_child(name_or_path, cache_root, cache.model_dir, identity)
        encoder = OnnxEncoder.open(cache.graph, cache.tokenizer, manifest)
        difference = difference_from_reference(encoder, reference)
    except ExportFailed as error:
        raise OnnxUnavailable(str(error)) from error
    except Exception as error:  # ONNX Runtime refusing the graph, and the like
        why = f"the export does not load: {type(error).__name__}: {error}"
        raise OnnxUnavailable(why) from error
    if not difference <= TOLERANCE:
        raise OnnxUnavailable(
            f"the export differs from torch by {difference:.2g} (tolerance {TOLERANCE:g})"
        )
    cache.write_manifest(replace(manifest, max_difference=difference))
    log.info("sentence encoder: ONNX Runtime, new export (torch within %.2g)", difference)
    return encoder
