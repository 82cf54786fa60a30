"""`supportflow ingest PATH...`: send files and folders to a running server's /api/ingest.

Folders are walked for supported files (.md, .txt, .json, .jsonl, .pdf); files are parsed
locally (so an unreadable one is reported before anything is sent) and sent as JSON in
batches with a progress bar. `supportflow ingest --demo` sends the shipped demo articles.
The admin token comes from --token, else from the server's admin token file.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
from tqdm import tqdm

from supportflow.errors import SupportflowError
from supportflow.knowledge.documents import Document
from supportflow.knowledge.sources import (
    SUPPORTED_SUFFIXES,
    demo_kb_path,
    documents_from_bytes,
)
from supportflow.settings import Settings

DEFAULT_URL = "http://127.0.0.1:5000"
DEFAULT_BATCH = 20


def add_ingest_command(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `ingest` on the main CLI."""
    parser = subparsers.add_parser(
        "ingest", help="send documents to a running server's knowledge base"
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders to ingest")
    parser.add_argument("--demo", action="store_true", help="also send the shipped demo KB")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"server URL (default {DEFAULT_URL})")
    parser.add_argument("--token", help="admin token (default: the data dir's admin_token file)")
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="documents per request"
    )
    parser.set_defaults(func=run_ingest)


def run_ingest(arguments: argparse.Namespace) -> int:
    """Parse, batch and send; prints a summary. Exit code 0, or 1 on any failure."""
    paths: list[Path] = list(arguments.paths)
    if arguments.demo:
        paths.append(demo_kb_path())
    if not paths:
        print("nothing to ingest: give files or folders, or --demo", file=sys.stderr)
        return 2
    try:
        token = arguments.token or _token_from_settings()
        documents = list(_read_all(paths))
    except (OSError, SupportflowError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not documents:
        print("no supported files found", file=sys.stderr)
        return 1
    return _send(documents, arguments.url, token, max(1, arguments.batch_size))


def _token_from_settings() -> str:
    settings = Settings.from_env()
    if settings.admin_token:
        return settings.admin_token
    return settings.admin_token_file.read_text(encoding="utf-8").strip()


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            )
        elif path.is_file():
            yield path
        else:
            raise OSError(f"{path} does not exist")


def _read_all(paths: Sequence[Path]) -> Iterator[Document]:
    for file in _files(paths):
        yield from documents_from_bytes(file.name, file.read_bytes())


def _send(documents: list[Document], url: str, token: str, batch_size: int) -> int:
    ingested = chunks = 0
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=url, headers=headers, timeout=300) as client,
        tqdm(total=len(documents), unit="doc", desc="ingesting") as progress,
    ):
        for start in range(0, len(documents), batch_size):
            batch = documents[start : start + batch_size]
            payload = {"documents": [_as_json(doc) for doc in batch]}
            try:
                response = client.post("/api/ingest", json=payload)
            except httpx.HTTPError as error:
                failures.append(f"documents {start}-{start + len(batch) - 1}: {error}")
                break
            if response.status_code == 200:
                body = response.json()
                ingested += int(body["ingested"])
                chunks += int(body["chunks"])
            else:
                failures.append(
                    f"documents {start}-{start + len(batch) - 1}: {_error_text(response)}"
                )
            progress.update(len(batch))
    print(f"ingested {ingested} documents ({chunks} passages) into {url}")
    for failure in failures:
        print(f"failed: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _as_json(document: Document) -> dict[str, str]:
    body = {"title": document.title, "category": document.category, "content": document.content}
    if document.id:
        body["id"] = document.id
    return body


def _error_text(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        return f"{response.status_code} {error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return f"{response.status_code} {response.text[:200]}"
