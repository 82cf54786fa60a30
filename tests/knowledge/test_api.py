"""The knowledge REST endpoints in-process: the real app, model and Chroma."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from quart import Quart
from quart.testing.app import TestApp as RunningApp

from supportflow.app import create_app
from tests.knowledge.shared import ARTICLES
from tests.support import ADMIN_TOKEN, server_settings

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest_asyncio.fixture(name="app", scope="module", loop_scope="module")
async def fixture_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Quart]:
    settings = server_settings(
        tmp_path_factory.mktemp("data"), max_documents_per_ingest=5, max_document_chars=5000
    )
    app = create_app(settings)
    # Loading the model can take longer than Quart's default 6 s start-up allowance.
    async with RunningApp(app, startup_timeout=120, shutdown_timeout=60):
        client = app.test_client()
        body = {"documents": [article.__dict__ for article in ARTICLES]}
        response = await client.post("/api/ingest", json=body, headers=ADMIN)
        assert response.status_code == 200
        yield app


async def error_of(response: Any) -> tuple[int, str]:
    body = await response.get_json()
    return response.status_code, body["error"]["code"]


async def test_ingest_returns_counts_and_ids(app: Quart) -> None:
    doc = {"id": "hotspot", "title": "Hotspot", "category": "data", "content": "Turn on hotspot."}
    response = await app.test_client().post("/api/ingest", json={"documents": [doc]}, headers=ADMIN)
    assert response.status_code == 200
    assert await response.get_json() == {"ingested": 1, "chunks": 1, "ids": ["hotspot"]}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        # The schema states these limits (the OpenAPI contract), so validation answers first.
        ({"documents": [{"title": "T", "content": "  "}]}, 400, "invalid_input"),
        ({"documents": [{"content": "text"}]}, 400, "invalid_input"),
        ({"documents": []}, 400, "invalid_input"),
        ({"documents": [{"title": "T", "content": "x" * 5001}]}, 413, "document_too_large"),
        ({"documents": [{"title": "T", "content": "x"}] * 6}, 413, "too_many_documents"),
        ({"nothing": True}, 400, "invalid_input"),
        ({"documents": [{"title": "T", "content": "x", "examples": [" "]}]}, 400, "invalid_input"),
        (
            {"documents": [{"title": "T", "content": "x", "examples": ["x" * 301]}]},
            400,
            "invalid_input",
        ),
        (
            {"documents": [{"title": "T", "content": "x", "examples": ["x"] * 101}]},
            400,
            "invalid_input",
        ),
        ({"documents": [{"title": "T", "content": "x", "examples": "x"}]}, 400, "invalid_input"),
    ],
)
async def test_ingest_errors_have_the_error_shape(
    app: Quart, body: dict[str, Any], status: int, code: str
) -> None:
    response = await app.test_client().post("/api/ingest", json=body, headers=ADMIN)
    assert await error_of(response) == (status, code)


async def test_ingest_needs_the_admin(app: Quart) -> None:
    client = app.test_client()
    response = await client.post("/api/ingest", json={"documents": []})
    assert response.status_code == 401


async def test_multipart_upload_of_markdown_and_jsonl(app: Quart) -> None:
    markdown = b"---\nid: wifi-calling\ntitle: Wi-Fi calling\ncategory: calls\n---\nTurn it on."
    lines = b'{"id": "spam", "title": "Blocking spam calls", "content": "Use the app."}\n'
    response = await app.test_client().post(
        "/api/ingest",
        headers=ADMIN,
        files={"files": _file("wifi.md", markdown), "more": _file("more.jsonl", lines)},
    )
    assert response.status_code == 200, await response.get_data()
    assert sorted((await response.get_json())["ids"]) == ["spam", "wifi-calling"]


async def test_unsupported_upload_is_refused(app: Quart) -> None:
    response = await app.test_client().post(
        "/api/ingest", headers=ADMIN, files={"files": _file("notes.docx", b"PK")}
    )
    assert await error_of(response) == (400, "unsupported_file")


def _file(name: str, data: bytes) -> Any:
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    return FileStorage(BytesIO(data), filename=name)


async def test_list_get_delete(app: Quart) -> None:
    client = app.test_client()
    listed = await (await client.get("/api/knowledge", headers=ADMIN)).get_json()
    by_id = {doc["id"]: doc for doc in listed["documents"]}
    assert by_id["esim"]["title"] == "Activating an eSIM"
    assert by_id["esim"]["passages"] >= 1
    detail = await client.get("/api/knowledge/esim", headers=ADMIN)
    assert (await detail.get_json())["chunks"][0]["text"].startswith("An eSIM")
    doc = {"id": "temp", "title": "Temp", "content": "Temporary article."}
    await client.post("/api/ingest", json={"documents": [doc]}, headers=ADMIN)
    deleted = await client.delete("/api/knowledge/temp", headers=ADMIN)
    assert await deleted.get_json() == {"id": "temp", "deleted_passages": 1}
    assert await error_of(await client.get("/api/knowledge/temp", headers=ADMIN)) == (
        404,
        "document_not_found",
    )


async def test_an_articles_examples_are_ingested_and_shown_to_staff(app: Quart) -> None:
    client = app.test_client()
    doc = {
        "id": "coverage",
        "title": "Coverage map",
        "content": "See the coverage map in the app.",
        "examples": ["no bars at my cabin", "do you work out in the hills?"],
    }
    response = await client.post("/api/ingest", json={"documents": [doc]}, headers=ADMIN)
    assert response.status_code == 200, await response.get_data()
    detail = await (await client.get("/api/knowledge/coverage", headers=ADMIN)).get_json()
    assert detail["examples"] == ["no bars at my cabin", "do you work out in the hills?"]
    plain = await (await client.get("/api/knowledge/esim", headers=ADMIN)).get_json()
    assert plain["examples"] == []


async def test_ask_answers_and_cites_the_document_id(app: Quart) -> None:
    client = app.test_client()
    response = await client.post(
        "/api/ask", json={"message": "how do I reset my voicemail PIN?"}, headers=ADMIN
    )
    body = await response.get_json()
    assert response.status_code == 200
    assert body["sources"][0]["id"] == "voicemail"
    assert body["escalate"] is False
    assert body["confidence"] >= 0.6
    assert body["provider"] == "offline"


async def test_ask_off_topic_says_what_the_bot_covers_without_escalating(app: Quart) -> None:
    response = await app.test_client().post(
        "/api/ask", json={"message": "what is the capital of Australia"}, headers=ADMIN
    )
    body = await response.get_json()
    assert (body["escalate"], body["act"], body["reasons"]) == (False, "off_topic", [])
    assert body["sources"] == []


async def test_a_customer_asks_within_its_own_session_only(app: Quart) -> None:
    client = app.test_client()
    created = await (await client.post("/api/sessions", json={})).get_json()
    other = await (await client.post("/api/sessions", json={})).get_json()
    user = {"Authorization": f"Bearer {created['token']}"}
    own = await client.post(
        "/api/ask",
        json={"message": "let me talk to a human", "session_id": created["session_id"]},
        headers=user,
    )
    assert "human_requested" in (await own.get_json())["reasons"]
    foreign = await client.post(
        "/api/ask", json={"message": "hi", "session_id": other["session_id"]}, headers=user
    )
    assert foreign.status_code == 403
    assert (await client.post("/api/ask", json={"message": "hi"})).status_code == 401
