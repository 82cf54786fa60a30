"""Two nodes on one real Chroma server (`chroma run`): what one ingests, the other answers from.

Each node is a real Hypercorn server with its own SQLite database and its own caches (BM25
index, typo vocabulary, unit cache). Node B searches before every change, so its caches are
warm when node A writes: a B that did not notice A's writes would answer from them.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.knowledge.test_cli import parse
from tests.services import running_chroma
from tests.support import ADMIN_TOKEN, LiveServer, admin_http, serving, shared_demo_store

pytestmark = pytest.mark.slow

QUESTION = "How much does the femtocell rental cost per month?"


def femtocell_article(dollars: int) -> bytes:
    return (
        "---\nid: femtocell\ntitle: Femtocell for indoor signal\ncategory: network\n---\n"
        "A femtocell is a small cell tower for weak indoor signal. Plug the femtocell into "
        "your router and wait until its light turns green.\n\n"
        f"The femtocell rental costs {dollars} dollars per month. Return it within 30 days "
        "for a full refund."
    ).encode()


@pytest.fixture(name="chroma_url", scope="module")
def fixture_chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The server starts on a copy of the run's demo store (the demo articles already
    # embedded, as an embedded Chroma folder: `chroma run` keeps the same files), so node A's
    # demo KB load finds them instead of embedding all of them again.
    data = tmp_path_factory.mktemp("chroma") / "data"
    shutil.copytree(shared_demo_store(), data)
    with running_chroma(data) as url:
        yield url


def _node(name: str, tmp_path_factory: pytest.TempPathFactory, url: str, **overrides: Any) -> Any:
    return serving(tmp_path_factory.mktemp(name) / "data", chroma_url=url, **overrides)


@pytest.fixture(name="node_a", scope="module")
def fixture_node_a(
    tmp_path_factory: pytest.TempPathFactory, chroma_url: str
) -> Iterator[LiveServer]:
    # Loads the demo articles into the shared collection, so the femtocell article must
    # win against real neighbours.
    with _node("node_a", tmp_path_factory, chroma_url, demo_kb=True) as server:
        yield server


@pytest.fixture(name="node_b", scope="module")
def fixture_node_b(
    tmp_path_factory: pytest.TempPathFactory, chroma_url: str, node_a: LiveServer
) -> Iterator[LiveServer]:
    # Checks before every search, so the test needs no waiting (the interval has its own
    # tests in test_freshness.py).
    with _node("node_b", tmp_path_factory, chroma_url, knowledge_check_seconds=0) as server:
        yield server


@pytest.fixture(name="admin_a")
async def fixture_admin_a(node_a: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_http(node_a) as client:
        yield client


@pytest.fixture(name="admin_b")
async def fixture_admin_b(node_b: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_http(node_b) as client:
        yield client


async def ask(admin: httpx.AsyncClient, question: str = QUESTION) -> dict[str, Any]:
    response = await admin.post("/api/ask", json={"message": question})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def cited(answer: dict[str, Any]) -> list[str]:
    return [source["id"] for source in answer["sources"]]


async def upload(admin: httpx.AsyncClient, dollars: int) -> None:
    files = {"file": ("femtocell.md", femtocell_article(dollars), "text/markdown")}
    response = await admin.post("/api/ingest", files=files)
    assert response.status_code == 200, response.text


async def test_upload_replace_and_delete_on_a_are_answered_on_b(
    admin_a: httpx.AsyncClient, admin_b: httpx.AsyncClient
) -> None:
    before = await ask(admin_b)  # B's caches are built now, without the article
    assert "femtocell" not in cited(before)
    assert (await admin_b.get("/api/knowledge")).json()["documents"], "the demo KB is shared"

    await upload(admin_a, 5)
    first = await ask(admin_b)
    assert cited(first)[:1] == ["femtocell"], first
    assert "5 dollars" in first["answer"], first["answer"]

    # Same id, same passage ids, new text: B's unit cache held the old sentences.
    await upload(admin_a, 9)
    second = await ask(admin_b)
    assert "9 dollars" in second["answer"] and "5 dollars" not in second["answer"], second
    detail = await admin_b.get("/api/knowledge/femtocell")
    assert detail.status_code == 200
    assert "9 dollars" in " ".join(chunk["text"] for chunk in detail.json()["chunks"])

    deleted = await admin_a.delete("/api/knowledge/femtocell")
    assert deleted.status_code == 200, deleted.text
    after = await ask(admin_b)
    assert "femtocell" not in cited(after) and "dollars per month" not in after["answer"]
    missing = await admin_b.get("/api/knowledge/femtocell")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "document_not_found"


def test_the_ingest_cli_against_a_is_answered_on_b(
    node_a: LiveServer, node_b: LiveServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    question = {"message": "What is the PUK code for a blocked SIM?"}
    warm = httpx.post(f"{node_b.url}/api/ask", json=question, headers=headers, timeout=60)
    assert "puk-code" not in [source["id"] for source in warm.json()["sources"]]

    article = tmp_path / "puk-code.md"
    article.write_text(
        "# Your PUK code\n\nA SIM blocked after three wrong PINs asks for its PUK code. "
        "The PUK code is printed on the card your SIM came in, under the scratch strip."
    )
    arguments = parse(str(article), "--url", node_a.url, "--token", ADMIN_TOKEN)
    assert arguments.func(arguments) == 0
    assert "ingested 1 documents" in capsys.readouterr().out

    answer = httpx.post(f"{node_b.url}/api/ask", json=question, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    assert [source["id"] for source in answer.json()["sources"]][:1] == ["puk-code"]
    assert "scratch strip" in answer.json()["answer"]
