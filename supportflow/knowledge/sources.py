"""Turning files into documents: Markdown with front matter, text, JSON/JSONL, PDF.

Used by the multipart upload of `POST /api/ingest`, by the demo knowledge base loader and by
the `supportflow ingest` CLI, so a file means the same document whichever way it arrives.

- `.md`  : optional front matter (`---` / `key: value` lines / `---`) with id, title,
           category, and `examples:` followed by `  - text` lines (article_examples.py);
           otherwise the first `# heading` (or the file name) is the title.
- `.txt` : the file name is the title.
Files without an explicit id take their file name (without suffix) as id, so uploading a
changed file again replaces its earlier version.
- `.json`: one document object, a list of them, or `{"documents": [...]}`.
- `.jsonl`: one document object per line.
- `.pdf` : the text of every page (pypdf); the file name is the title.
"""

from __future__ import annotations

import io
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

from supportflow.errors import InvalidInput
from supportflow.knowledge.documents import Document

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".json", ".jsonl", ".pdf")
DEFAULT_CATEGORY = "general"
# A front-matter list item: "  - text".
_LIST_ITEM = re.compile(r"^\s*-\s+(.*\S)\s*$")


def documents_from_bytes(filename: str, data: bytes) -> list[Document]:
    """Documents held in one uploaded file; InvalidInput when it cannot be read."""
    suffix = Path(filename).suffix.lower()
    stem = Path(filename).stem
    if suffix == ".pdf":
        return [Document(stem, _title_from_name(stem), DEFAULT_CATEGORY, _pdf_text(filename, data))]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(f"{filename} is not UTF-8 text", "unreadable_file") from None
    if suffix in (".md", ".markdown"):
        return [markdown_document(text, stem)]
    if suffix == ".txt":
        return [Document(stem, _title_from_name(stem), DEFAULT_CATEGORY, text)]
    if suffix == ".json":
        return _from_json_value(filename, _parse_json(filename, text))
    if suffix == ".jsonl":
        rows = [line for line in text.splitlines() if line.strip()]
        return [
            doc for line in rows for doc in _from_json_value(filename, _parse_json(filename, line))
        ]
    raise InvalidInput(
        f"{filename}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})",
        "unsupported_file",
    )


def markdown_document(text: str, fallback_id: str) -> Document:
    """A Markdown article; front matter wins over the heading and the file name."""
    meta: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    body = text
    lines = text.lstrip("\ufeff").splitlines()
    if lines and lines[0].strip() == "---":
        key = ""
        for index, line in enumerate(lines[1:], 1):
            if line.strip() == "---":
                body = "\n".join(lines[index + 1 :])
                break
            item = _LIST_ITEM.match(line)
            if item is not None and key and not meta.get(key):
                # A list under the last key ("examples:" then "  - ..." lines).
                lists.setdefault(key, []).append(_unquoted(item.group(1)))
                continue
            name, sep, value = line.partition(":")
            if sep:
                key = name.strip().lower()
                meta[key] = _unquoted(value)
    title = meta.get("title") or _first_heading(body) or _title_from_name(fallback_id)
    return Document(
        meta.get("id", fallback_id),
        title,
        meta.get("category", DEFAULT_CATEGORY),
        body.strip(),
        tuple(lists.get("examples", ())),
    )


def _unquoted(value: str) -> str:
    return value.strip().strip("\"'")


def demo_documents() -> list[Document]:
    """The telecom help articles shipped in `supportflow/knowledge/demo_kb/`."""
    folder = resources.files("supportflow.knowledge") / "demo_kb"
    if not folder.is_dir():
        return []
    articles = sorted(
        (item for item in folder.iterdir() if item.name.endswith(".md")), key=lambda i: i.name
    )
    return [
        markdown_document(item.read_text(encoding="utf-8"), Path(item.name).stem)
        for item in articles
    ]


def demo_kb_path() -> Path:
    return Path(str(resources.files("supportflow.knowledge") / "demo_kb"))


def _parse_json(filename: str, text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"{filename} is not valid JSON: {error}", "unreadable_file") from None


def _from_json_value(filename: str, value: Any) -> list[Document]:
    if isinstance(value, dict) and isinstance(value.get("documents"), list):
        value = value["documents"]
    items = value if isinstance(value, list) else [value]
    documents: list[Document] = []
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput(
                f"{filename}: each document must be a JSON object", "unreadable_file"
            )
        documents.append(
            Document(
                str(item.get("id") or ""),
                str(item.get("title") or ""),
                str(item.get("category") or DEFAULT_CATEGORY),
                str(item.get("content") or ""),
                _examples(filename, item.get("examples")),
            )
        )
    return documents


def _examples(filename: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(text, str) for text in value):
        raise InvalidInput(
            f"{filename}: a document's examples must be a list of strings", "unreadable_file"
        )
    return tuple(value)


def _pdf_text(filename: str, data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, OSError) as error:
        raise InvalidInput(
            f"{filename} is not a readable PDF: {error}", "unreadable_file"
        ) from None


def _first_heading(body: str) -> str | None:
    for line in body.splitlines():
        if line.startswith("# "):
            return line[2:].strip() or None
    return None


def _title_from_name(stem: str) -> str:
    return stem.replace("_", " ").replace("-", " ").strip().capitalize() or "Untitled"
