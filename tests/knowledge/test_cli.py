"""`supportflow ingest` against a real server on loopback."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from supportflow.knowledge.cli import add_ingest_command
from tests.support import ADMIN_TOKEN, LiveServer

pytestmark = pytest.mark.slow


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="supportflow")
    add_ingest_command(parser.add_subparsers())
    return parser.parse_args(["ingest", *argv])


@pytest.fixture(name="live")
def fixture_live(start_server: Callable[..., LiveServer]) -> LiveServer:
    return start_server()


def test_ingest_walks_folders_and_sends_batches(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "kb"
    (folder / "nested").mkdir(parents=True)
    (folder / "roaming.md").write_text("---\nid: roaming\ntitle: Roaming\n---\nUse a day pass.")
    (folder / "nested" / "hours.txt").write_text("We are open 8am to 8pm every day.")
    (folder / "nested" / "more.jsonl").write_text(
        '{"id": "apn", "title": "APN", "content": "The APN is internet."}\n'
        '{"id": "pin", "title": "PIN", "content": "Reset the PIN online."}\n'
    )
    (folder / "ignored.docx").write_bytes(b"not sent")
    arguments = parse(str(folder), "--url", live.url, "--token", ADMIN_TOKEN, "--batch-size", "2")
    assert arguments.func(arguments) == 0
    assert "ingested 4 documents" in capsys.readouterr().out
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    listed = httpx.get(f"{live.url}/api/knowledge", headers=headers).json()
    assert {doc["id"] for doc in listed["documents"]} == {"roaming", "hours", "apn", "pin"}


def test_a_refused_batch_fails_the_command(
    live: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.md").write_text("# A\nText.")
    arguments = parse(str(tmp_path / "a.md"), "--url", live.url, "--token", "wrong-token")
    assert arguments.func(arguments) == 1
    assert "401 unauthorized" in capsys.readouterr().err


def test_a_missing_path_fails_before_sending(tmp_path: Path) -> None:
    arguments = parse(str(tmp_path / "absent"), "--token", "x", "--url", "http://127.0.0.1:9")
    assert arguments.func(arguments) == 1
