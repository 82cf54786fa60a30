"""The ONNX export runs in a child process, so the serving process never holds torch.

Exporting loads the model on torch and traces it: torch's libraries and heap stay in a
process for its whole life once imported (about 500 MiB here), which is what a server that
then runs ONNX Runtime set out to save. A spawned child does the torch part and exits; the
server reads back only what it wrote (the graph, the tokenizer, torch's check vectors) and
the manifest this returns.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from supportflow.knowledge.onnx_export import (
    ExportCache,
    ExportFailed,
    ExportManifest,
    export,
    manifest_for,
)
from supportflow.knowledge.sentence_encoder import Matrix, TorchEncoder, load_sentence_model


def export_in_child(
    name_or_path: str | None, cache_root: Path, model_dir: Path, identity: dict[str, Any]
) -> tuple[ExportManifest, Matrix]:
    """Export the model into the cache from a child process (blocking): the manifest to
    write once the export is checked, and torch's vectors of the check sentences."""
    # spawn, not fork: a fork of a threaded server (the event loop, Chroma, aiosqlite)
    # can deadlock on a lock held by a thread that does not exist in the child.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        try:
            return pool.submit(_export_here, name_or_path, cache_root, model_dir, identity).result()
        except BrokenProcessPool as error:
            raise ExportFailed("the export process died before it finished") from error


def _export_here(
    name_or_path: str | None, cache_root: Path, model_dir: Path, identity: dict[str, Any]
) -> tuple[ExportManifest, Matrix]:
    try:
        model = load_sentence_model(name_or_path)
        reference = export(model, ExportCache(cache_root, model_dir), identity)
        manifest = manifest_for(model, TorchEncoder(model).dimension, identity, float("nan"))
    except ExportFailed:
        raise
    except Exception as error:  # torch's own errors need not survive pickling: say what
        raise ExportFailed(f"the export failed: {type(error).__name__}: {error}") from None
    return manifest, reference
