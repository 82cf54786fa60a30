"""Fixtures shared by every test folder."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from quart import Quart
from quart.testing.app import TestApp
from quart.typing import TestClientProtocol as QuartClient

from supportflow.app import create_app
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.embedder import Embedder
from supportflow.settings import Settings
from tests.knowledge.shared import ARTICLES, open_knowledge_base, shared_embedder
from tests.support import LiveServer, admin_http, server_settings

# Belt and braces: nothing in a test may reach the Hugging Face hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(name="settings")
def fixture_settings(tmp_path: Path) -> Settings:
    return server_settings(tmp_path / "data")


@pytest.fixture(name="app")
async def fixture_app(settings: Settings) -> AsyncIterator[Quart]:
    """The app with its lifespan run (store and knowledge open), for in-process tests."""
    app = create_app(settings)
    # Start-up loads the embedding model: more than Quart's default 6 s on a cold cache.
    async with TestApp(app, startup_timeout=120, shutdown_timeout=60):
        yield app


@pytest.fixture(name="client")
def fixture_client(app: Quart) -> QuartClient:
    return app.test_client()


@pytest.fixture(name="start_server")
def fixture_start_server(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers (Hypercorn on loopback); all are stopped when the test ends."""
    started: list[LiveServer] = []

    def start(settings: Settings | None = None, **overrides: Any) -> LiveServer:
        chosen = settings or server_settings(tmp_path / "data", **overrides)
        server = LiveServer(chosen).start()
        started.append(server)
        return server

    yield start
    for server in started:
        if server._thread.is_alive():
            server.stop()


@pytest.fixture(name="server")
def fixture_server(start_server: Callable[..., LiveServer]) -> LiveServer:
    return start_server()


@pytest.fixture(name="http")
async def fixture_http(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture(name="admin")
async def fixture_admin(server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the live server that sends the admin token."""
    async with admin_http(server) as client:
        yield client


@pytest.fixture(name="uid")
def fixture_uid() -> str:
    """A short unique suffix, so tests sharing a server never share ids."""
    return uuid.uuid4().hex[:8]


@pytest.fixture(name="embedder", scope="session")
def fixture_embedder() -> Embedder:
    """The real embedding model, loaded once per test run."""
    return shared_embedder()


@pytest.fixture(name="articles_kb", scope="module")
def fixture_articles_kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    """A knowledge base holding the test articles, shared by one module's read-only tests."""
    knowledge = open_knowledge_base(tmp_path_factory.mktemp("chroma"))
    asyncio.run(knowledge.ingest(ARTICLES))
    return knowledge
