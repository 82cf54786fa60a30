"""Health reports each component, and says 503 when the database is gone."""

from __future__ import annotations

import pytest
from quart import Quart
from quart.testing.app import TestApp as RunningApp
from quart.typing import TestClientProtocol as QuartClient

from supportflow import __version__
from supportflow.app import create_app
from supportflow.settings import Settings
from tests.fakes import FAKE_BOT
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


async def test_the_app_opens_the_bot_it_is_given(settings: Settings) -> None:
    app = create_app(settings, FAKE_BOT)
    async with RunningApp(app, startup_timeout=60, shutdown_timeout=60):
        response = await app.test_client().get("/api/health", headers=admin_headers())
        body = await response.get_json()
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
