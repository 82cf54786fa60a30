"""The README and docs/ stay true to the checkout: links lead somewhere, the diagram is current.

The README points into docs/ for everything a user needs beyond the quick start; a link that
leads nowhere (a moved file, a renamed heading) is a stale claim, so each one is checked.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from supportflow.rooms.statechart import render_mermaid

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "statecharts/room.md",
]


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _links_and_anchors(document: Path) -> tuple[list[str], set[str]]:
    tokens = MarkdownIt("commonmark").parse(document.read_text(encoding="utf-8"))
    links: list[str] = []
    anchors: set[str] = set()
    for index, token in enumerate(tokens):
        if token.type == "heading_open":
            anchors.add(_anchor(tokens[index + 1].content))
        for child in token.children or []:
            href = child.attrGet("href") if child.type == "link_open" else None
            source = child.attrGet("src") if child.type == "image" else None
            links.extend(str(target) for target in (href, source) if target)
    return links, anchors


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_to_a_file_and_heading(document: Path) -> None:
    links, own_anchors = _links_and_anchors(document)
    broken = []
    for link in links:
        if re.match(r"^[a-z][a-z0-9+.-]*:|^/", link):  # a URL or a path on the running server
            continue
        path_part, _, anchor = link.partition("#")
        target = (document.parent / path_part).resolve() if path_part else document
        if not target.exists():
            broken.append(link)
        elif anchor and target.suffix == ".md":
            anchors = own_anchors if target == document else _links_and_anchors(target)[1]
            if anchor not in anchors:
                broken.append(link)
    assert broken == [], f"{document.name}: links that lead nowhere: {broken}"


def test_the_readme_diagram_is_the_rendered_machine() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```mermaid\n(.*?)```", readme, re.DOTALL)
    assert block is not None, "README.md lost its lifecycle diagram"
    assert block.group(1) == render_mermaid()
