"""The ONNX encoder: its export agrees with torch, is kept and reused, is made again when the
model changes, and torch takes over (with a warning) when ONNX cannot run."""

from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from supportflow.errors import ConfigurationError
from supportflow.knowledge import encoder_choice
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.encoder_choice import load_encoder
from supportflow.knowledge.onnx_encoder import OnnxEncoder, difference_from_reference
from supportflow.knowledge.onnx_export import (
    CHECK_SENTENCES,
    LONG_CHECK_SENTENCE,
    TOLERANCE,
    ExportCache,
    ExportManifest,
    model_identity,
)
from supportflow.knowledge.sentence_encoder import TorchEncoder, default_model_path
from tests.knowledge.shared import ARTICLES
from tests.support import FIRST_EXPORT_RECORD, encoder_start, shared_encoder_cache

pytestmark = pytest.mark.slow  # the real model, exported and loaded

# Not the check sentences: texts the export never saw, of every length up to truncation.
TEXTS = [
    "How long is the voicemail PIN?",
    "my internet is down again!!",
    "Can I keep my number if I move to another carrier?",
    *(f"{article.title}. {article.content}" for article in ARTICLES),
]


class ExportSpy:
    """Counts exports. The export itself (torch, in a child process: the run's one real
    export is tests/support.py's shared_encoder_cache) is stood in for by a copy of it:
    what these tests check is what the loader decides and does around it, which is all
    real (the check against torch's vectors, the manifest, the fallback)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0

        def counted(
            name_or_path: str | None, cache_root: Path, model_dir: Path, identity: dict[str, Any]
        ) -> tuple[ExportManifest, Any]:
            self.calls += 1
            made = ExportCache(shared_encoder_cache(), Path(default_model_path()))
            manifest = made.manifest()
            assert manifest is not None
            target = ExportCache(cache_root, model_dir)
            for part in ("graph", "tokenizer", "reference"):
                shutil.copyfile(getattr(made, part), getattr(target, part))
            return replace(manifest, identity=identity), made.reference_vectors()

        monkeypatch.setattr(encoder_choice, "export_in_child", counted)


@pytest.fixture(name="cache_copy")
def fixture_cache_copy(tmp_path: Path) -> Path:
    """A copy of the run's export cache (made first if needed): a test may change its own."""
    load_encoder(None, "onnx", shared_encoder_cache())
    copy = tmp_path / "encoder"
    shutil.copytree(shared_encoder_cache(), copy)
    return copy


@pytest.fixture(name="torch_model", scope="session")
def fixture_torch_model() -> TorchEncoder:
    """The model on torch (the rest of the suite runs the ONNX export, as the servers do).
    The tests that use it are one unit of work (tests/parallel.py: TORCH_TESTS), so one
    worker loads it, once."""
    return TorchEncoder.load(None)


def test_the_onnx_encoder_agrees_with_torch(torch_model: TorchEncoder) -> None:
    onnx = load_encoder(None, "onnx", shared_encoder_cache()).encoder
    assert isinstance(onnx, OnnxEncoder)
    torch_vectors = torch_model.encode(TEXTS)
    together = onnx.encode(TEXTS)
    alone = np.vstack([onnx.encode([text]) for text in TEXTS])
    assert together.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert np.abs(together - torch_vectors).max() < TOLERANCE
    assert np.abs(alone - torch_vectors).max() < TOLERANCE
    assert onnx.encode([]).shape == (0, 384)
    # The tokenizer is the model's own: the same vocabulary, the same ids.
    assert onnx.vocabulary() == torch_model.vocabulary()
    assert onnx.token_ids("Which APN?") == torch_model.token_ids("Which APN?")


def test_the_export_is_checked_and_its_figure_kept() -> None:
    load_encoder(None, "onnx", shared_encoder_cache())
    manifest = ExportCache(shared_encoder_cache(), Path(default_model_path())).manifest()
    assert manifest is not None
    assert 0 <= manifest.max_difference < TOLERANCE
    assert manifest.max_seq_length == 256 and manifest.dimension == 384


def test_the_check_at_start_up_still_sees_one_vector_change() -> None:
    onnx = load_encoder(None, "onnx", shared_encoder_cache()).encoder
    assert isinstance(onnx, OnnxEncoder)
    reference = ExportCache(shared_encoder_cache(), Path(default_model_path())).reference_vectors()
    assert difference_from_reference(onnx, reference, pad_the_long_one=False) < TOLERANCE
    for row in (0, CHECK_SENTENCES.index(LONG_CHECK_SENTENCE)):
        changed = reference.copy()
        changed[row, 7] += 0.01
        assert difference_from_reference(onnx, changed, pad_the_long_one=False) > TOLERANCE


def test_a_cached_export_is_reused_without_torch(
    cache_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = ExportSpy(monkeypatch)
    graph = ExportCache(cache_copy, Path(default_model_path())).graph
    written = graph.stat().st_mtime_ns
    chosen = load_encoder(None, "auto", cache_copy)
    assert isinstance(chosen.encoder, OnnxEncoder) and chosen.fallback_reason is None
    assert spy.calls == 0 and graph.stat().st_mtime_ns == written


def test_one_process_loads_and_checks_an_export_once_until_its_files_change(
    cache_copy: Path,
) -> None:
    first = load_encoder(None, "onnx", cache_copy).encoder
    assert load_encoder(None, "onnx", cache_copy).encoder is first
    manifest = ExportCache(cache_copy, Path(default_model_path())).manifest_file
    manifest.write_text(manifest.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    again = load_encoder(None, "onnx", cache_copy).encoder
    assert isinstance(again, OnnxEncoder) and again is not first


def _start(cache_root: Path) -> str:
    """A serving process's start on `cache_root`: what it printed, the torch modules it
    holds afterwards."""
    result = encoder_start(cache_root)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_the_serving_process_never_imports_torch(tmp_path: Path) -> None:
    # A start on an empty cache runs the export (in its child process), a later start reuses
    # it; neither leaves torch (about 500 MiB resident) in the process that serves. The run's
    # shared export was made by such a start (tests/support.py keeps what it printed); where
    # someone else made it (a cache handed in from outside), this test exports once more.
    shared = shared_encoder_cache()
    record = shared / FIRST_EXPORT_RECORD
    if record.exists():
        exported, cache_root = record.read_text().strip(), shared
    else:
        cache_root = tmp_path / "encoder"
        exported = _start(cache_root)
    assert exported == "[]"
    assert _start(cache_root) == "[]"


def test_a_changed_model_is_exported_again(
    cache_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = tmp_path / "model"
    shutil.copytree(default_model_path(), model)
    # The copy's export is the original's (the same weights), to spare one export here.
    original = ExportCache(cache_copy, Path(default_model_path()))
    shutil.copytree(original.directory, ExportCache(cache_copy, model).directory)
    manifest = original.manifest()
    assert manifest is not None
    copied = replace(manifest, identity=model_identity(model))
    ExportCache(cache_copy, model).write_manifest(copied)
    spy = ExportSpy(monkeypatch)
    load_encoder(str(model), "onnx", cache_copy)
    assert spy.calls == 0  # unchanged: reused

    config = model / "config.json"
    config.write_text(config.read_text() + "\n")  # the same model, but another file now
    chosen = load_encoder(str(model), "onnx", cache_copy)
    assert spy.calls == 1
    manifest = ExportCache(cache_copy, model).manifest()
    assert manifest is not None
    assert ["config.json", config.stat().st_size, config.stat().st_mtime_ns] in (
        manifest.identity["files"]
    )
    assert isinstance(chosen.encoder, OnnxEncoder)


def test_a_damaged_export_is_made_again(cache_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spy = ExportSpy(monkeypatch)
    cache = ExportCache(cache_copy, Path(default_model_path()))
    cache.graph.write_bytes(b"not a graph")
    chosen = load_encoder(None, "auto", cache_copy)
    assert isinstance(chosen.encoder, OnnxEncoder) and spy.calls == 1


@pytest.fixture(name="torch_loads")
def fixture_torch_loads(
    torch_model: TorchEncoder, monkeypatch: pytest.MonkeyPatch
) -> list[str | None]:
    """Torch loads, answered with the run's loaded model (loading it again proves nothing)."""
    loads: list[str | None] = []

    def load(name_or_path: str | None) -> Any:
        loads.append(name_or_path)
        return torch_model

    monkeypatch.setattr(TorchEncoder, "load", staticmethod(load))
    return loads


def test_without_onnxruntime_auto_runs_torch_and_warns(
    cache_copy: Path,
    torch_loads: list[str | None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # `import onnxruntime` fails
    with caplog.at_level(logging.WARNING, logger=encoder_choice.__name__):
        chosen = load_encoder(None, "auto", cache_copy)
    assert isinstance(chosen.encoder, TorchEncoder) and torch_loads == [None]
    assert chosen.fallback_reason == "onnxruntime is not installed"
    assert "onnxruntime is not installed" in caplog.text and "torch instead" in caplog.text
    with pytest.raises(ConfigurationError, match="SUPPORTFLOW_ENCODER=onnx, but onnxruntime"):
        load_encoder(None, "onnx", cache_copy)


def test_an_export_that_disagrees_with_torch_is_not_used(
    cache_copy: Path,
    torch_loads: list[str | None],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    spy = ExportSpy(monkeypatch)
    monkeypatch.setattr(encoder_choice, "difference_from_reference", lambda *_, **__: 0.25)
    with caplog.at_level(logging.WARNING, logger=encoder_choice.__name__):
        chosen = load_encoder(None, "auto", cache_copy)
    # The cached export failed its check, so it was made again, and failed again.
    assert spy.calls == 1
    assert isinstance(chosen.encoder, TorchEncoder)
    assert chosen.fallback_reason is not None and "differs from torch by 0.25" in (
        chosen.fallback_reason
    )
    assert "differs from torch" in caplog.text


def test_torch_never_exports(tmp_path: Path, torch_loads: list[str | None]) -> None:
    chosen = load_encoder(None, "torch", tmp_path / "encoder")
    assert isinstance(chosen.encoder, TorchEncoder) and chosen.fallback_reason is None
    assert not (tmp_path / "encoder").exists()


async def test_the_embedder_reports_the_fallback(
    cache_copy: Path, torch_loads: list[str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    embedder = await Embedder.load(None, encoder="auto", cache_dir=cache_copy)
    assert embedder.encoder_kind == "torch"
    assert embedder.fallback_reason == "onnxruntime is not installed"
    assert len(await embedder.embed_query("hello")) == 384
