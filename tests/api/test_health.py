"""Health reports each component, and says 503 when the database is gone."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.typing import TestClientProtocol as QuartClient

from supportflow import __version__
from tests.support import admin_headers


@pytest.mark.real_model  # the encoder it reports is the model's
async def test_health_reports_the_database_and_the_encoder(client: QuartClient) -> None:
    response = await client.get("/api/health", headers=admin_headers())
    assert response.status_code == 200
    body = await response.get_json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["database"]["schema_version"] >= 1
    # The default (`auto`) runs the checked ONNX export, and says so.
    assert body["components"]["embedder"]["encoder"] == "onnx"
    assert "encoder_fallback" not in body["components"]["embedder"]


async def test_the_app_opens_the_bot_it_is_given(client: QuartClient) -> None:
    # The `client` fixture's app runs tests/fakes.py's FAKE_BOT (create_app's `parts`).
    body = await (await client.get("/api/health", headers=admin_headers())).get_json()
    assert body["components"]["embedder"] == {
        "status": "ok",
        "model": "word-hash (tests/fakes.py)",
        "encoder": "word-hash",
    }


async def test_health_is_503_when_the_database_is_unreachable(app: Quart) -> None:
    store = app.extensions["supportflow"].store
    await store.close()
    response = await app.test_client().get("/api/health")
    assert response.status_code == 503
    body = await response.get_json()
    assert body["status"] == "degraded"
    assert body["components"]["database"]["status"] == "error"
