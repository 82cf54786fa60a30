"""The help center's JSON in-process: the real app, model and Chroma, no token anywhere."""

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
STEPS = {
    "id": "apn",
    "title": "APN settings",
    "category": "network",
    "content": "Set the APN by hand when data does not work:\n\n1. Open **Settings**.\n"
    "2. Tap Mobile data, then Access point names.\n3. Enter `nimbus` as the APN.\n\n"
    "<script>alert(1)</script> stays text.",
}


@pytest_asyncio.fixture(name="app", scope="module", loop_scope="module")
async def fixture_app(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Quart]:
    settings = server_settings(tmp_path_factory.mktemp("data"), help_votes_per_minute=3)
    app = create_app(settings)
    async with RunningApp(app, startup_timeout=120, shutdown_timeout=60):
        body = {"documents": [article.__dict__ for article in ARTICLES] + [STEPS]}
        response = await app.test_client().post("/api/ingest", json=body, headers=ADMIN)
        assert response.status_code == 200
        yield app


async def json_of(response: Any) -> Any:
    return await response.get_json()


async def test_the_index_lists_every_article_by_category(app: Quart) -> None:
    body = await json_of(await app.test_client().get("/api/help/articles"))
    by_category = {c["name"]: {a["id"] for a in c["articles"]} for c in body["categories"]}
    assert by_category["network"] == {"apn"}
    assert by_category["travel"] == {"roaming"}
    link = next(a for c in body["categories"] for a in c["articles"] if a["id"] == "apn")
    assert link == {"id": "apn", "title": "APN settings", "url": "/help/apn"}


async def test_an_article_comes_whole_as_its_markdown(app: Quart) -> None:
    response = await app.test_client().get("/api/help/articles/apn")
    assert response.status_code == 200
    body = await json_of(response)
    assert body["content"] == STEPS["content"]
    assert (body["title"], body["category"], body["url"]) == (
        "APN settings",
        "network",
        "/help/apn",
    )
    assert body["updated_at"]


async def test_search_finds_the_article_as_the_bot_would(app: Quart) -> None:
    response = await app.test_client().get("/api/help/search", query_string={"q": "reset PIN"})
    body = await json_of(response)
    assert body["results"][0]["id"] == "voicemail"
    assert body["results"][0]["excerpt"].endswith(".")  # a whole sentence


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("GET", "/api/help/articles/nope", None, 404, "article_not_found"),
        ("POST", "/api/help/feedback/nope", {"verdict": "up"}, 404, "article_not_found"),
        ("POST", "/api/help/feedback/apn", {"verdict": "meh"}, 400, "invalid_input"),
        ("GET", "/api/help/search?q=" + "x" * 501, None, 400, "invalid_input"),
    ],
)
async def test_bad_requests_get_the_error_shape(
    app: Quart, method: str, path: str, body: Any, status: int, code: str
) -> None:
    response = await app.test_client().open(path, method=method, json=body)
    assert response.status_code == status
    assert (await json_of(response))["error"]["code"] == code


async def test_no_question_finds_nothing(app: Quart) -> None:
    for path in ("/api/help/search", "/api/help/search?q=%20%20"):
        assert await json_of(await app.test_client().get(path)) == {"query": "", "results": []}


async def test_votes_count_and_are_limited_per_address(app: Quart) -> None:
    client = app.test_client()
    path = "/api/help/feedback/roaming"
    answers = [(await client.post(path, json={"verdict": "up"})).status_code for _ in range(4)]
    # help_votes_per_minute=3 for this app; a vote on an unknown article above may have
    # taken one of them (probing counts too).
    counted = answers.count(200)
    assert counted >= 2 and answers[counted:] == [429] * (4 - counted), answers
    metrics = (await (await client.get("/metrics", headers=ADMIN)).get_data()).decode()
    assert f'supportflow_article_feedback_total{{verdict="up"}} {counted}.0' in metrics


async def test_a_deleted_article_leaves_the_help_center_at_once(app: Quart) -> None:
    client = app.test_client()
    doc = {"id": "gone", "title": "Fax machines", "category": "legacy", "content": "Faxes."}
    assert (await client.post("/api/ingest", json={"documents": [doc]}, headers=ADMIN)).status_code
    assert (await client.get("/api/help/articles/gone")).status_code == 200
    assert (await client.get("/help/gone")).status_code == 200

    assert (await client.delete("/api/knowledge/gone", headers=ADMIN)).status_code == 200
    assert (await client.get("/api/help/articles/gone")).status_code == 404
    assert (await client.get("/help/gone")).status_code == 404
    index = await json_of(await client.get("/api/help/articles"))
    assert "legacy" not in {category["name"] for category in index["categories"]}


async def test_the_help_json_is_in_the_openapi_document(app: Quart) -> None:
    paths = (await json_of(await app.test_client().get("/openapi.json")))["paths"]
    for path in (
        "/api/help/articles",
        "/api/help/articles/{doc_id}",
        "/api/help/search",
        "/api/help/feedback/{doc_id}",
    ):
        assert path in paths, sorted(paths)
    assert "/help" not in paths  # the pages are not API


async def test_ask_answers_in_markdown_and_links_its_source(app: Quart) -> None:
    response = await app.test_client().post(
        "/api/ask", json={"message": "how do I set the APN by hand"}, headers=ADMIN
    )
    body = await json_of(response)
    assert body["answer"].startswith("Set the APN by hand when data does not work:\n\n1. Open")
    assert [(s["id"], s["url"]) for s in body["sources"]] == [("apn", "/help/apn")]
    assert "Source:" not in body["answer"]
