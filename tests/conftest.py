"""Fixtures shared by every test folder."""

from __future__ import annotations

import asyncio
import logging
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
from supportflow.app_parts import AppParts
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.embedder import Embedder
from supportflow.logs import CHATTY_LIBRARIES, QUIETED_LIBRARY
from supportflow.settings import Settings
from tests.fakes import FAKE_BOT
from tests.knowledge.shared import ARTICLES, open_knowledge_base, shared_embedder
from tests.llm.fake_groq import FakeGroq
from tests.support import (
    LOOPBACK_TLS,
    LiveServer,
    admin_http,
    served_parts,
    server_settings,
    shared_demo_folder,
    shared_encoder_folder,
    shared_server,
)

# Redis, PostgreSQL and Chroma server fixtures (and the banner when one is missing); how
# `make test` shares the tests out among pytest-xdist workers.
pytest_plugins = ["tests.services", "tests.parallel"]

# The fast tier (`make test-fast`, `pytest -m "not slow"`) is every test that needs no live
# server, no server process, no browser and no embedding model. A test is slow when one of
# its fixtures (however indirectly) gives a live server or the model (by name, or by its
# return annotation), when it lives in one of the places below, or when its module says so
# (`pytestmark = pytest.mark.slow`).
SLOW_FIXTURES = frozenset(
    {
        "server",
        "start_server",
        "http",
        "admin",
        "app",
        "client",
        "embedder",
        "articles_kb",
        "chroma_server",
    }
)
SLOW_RESULTS = ("LiveServer", "Embedder", "KnowledgeBase", "Quart")
SLOW_FOLDERS = ("browser/", "reliability/", "realtime/")  # browsers, processes, live servers
SLOW_MODULES = frozenset({"test_serve.py", "test_example_client.py"})


def _gives_something_slow(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    for name in getattr(item, "fixturenames", ()):
        if name in SLOW_FIXTURES:
            return True
        for definition in info.name2fixturedefs.get(name, ()) if info else ():
            returns = str(getattr(definition.func, "__annotations__", {}).get("return", ""))
            if any(kind in returns for kind in SLOW_RESULTS):
                return True
    return False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    root = Path(__file__).parent
    for item in items:
        place = item.path.relative_to(root).as_posix()
        slow_place = place.startswith(SLOW_FOLDERS) or place in SLOW_MODULES
        if slow_place or _gives_something_slow(item):
            item.add_marker(pytest.mark.slow)


# Belt and braces: nothing in a test may reach the Hugging Face hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Server processes started by tests inherit the environment: one ONNX export for the run.
os.environ.setdefault("SUPPORTFLOW_ENCODER_CACHE_DIR", str(shared_encoder_folder()))
# Made here, before pytest-xdist starts its workers, so that they inherit it: one demo store.
shared_demo_folder()


# One real-model server with the demo articles per test session, that is per xdist worker,
# shared by the browser and conversation tests (tests/parallel.py); ids keep them apart.
# Every page those tests open signs a customer in from 127.0.0.1, many in a minute, which the
# default 10 sessions a minute per address would refuse (most likely why test_screenshots'
# widget once never answered); the limit itself is tested on a server of its own
# (test_costs.py).
demo_server, demo_admin = shared_server(
    "demo_server", "demo_admin", "session", demo_kb=True, sessions_per_minute=1000
)


@pytest.fixture(name="settings")
def fixture_settings(tmp_path: Path) -> Settings:
    return server_settings(tmp_path / "data")


@pytest.fixture(name="parts")
def fixture_parts(request: pytest.FixtureRequest) -> AppParts:
    """What the `app`, `server` and `start_server` apps open: everything real but the
    embedding model (tests/fakes.py's FAKE_BOT), or the model too when the test is marked
    `real_model` (it relies on what the model understands, or on the demo articles)."""
    return AppParts() if request.node.get_closest_marker("real_model") else FAKE_BOT


@pytest.fixture(name="app")
async def fixture_app(settings: Settings, parts: AppParts) -> AsyncIterator[Quart]:
    """The app with its lifespan run (store and knowledge open), for in-process tests."""
    app = create_app(settings, served_parts(parts))
    # Start-up loads the embedding model: more than Quart's default 6 s on a cold cache.
    async with TestApp(app, startup_timeout=120, shutdown_timeout=60):
        yield app


@pytest.fixture(name="client")
def fixture_client(app: Quart) -> QuartClient:
    return app.test_client()


@pytest.fixture(name="start_server")
def fixture_start_server(tmp_path: Path, parts: AppParts) -> Iterator[Callable[..., LiveServer]]:
    """Start real servers (Hypercorn on loopback); all are stopped when the test ends."""
    started: list[LiveServer] = []

    def start(settings: Settings | None = None, **overrides: Any) -> LiveServer:
        chosen = settings or server_settings(tmp_path / "data", **overrides)
        if chosen.demo_kb and parts is FAKE_BOT:
            # The demo articles are there to be understood: on word hashes a test of them
            # would pass or fail for reasons of its own.
            raise pytest.UsageError("a test serving the demo articles must be real_model")
        server = LiveServer(chosen, parts).start()
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
    async with httpx.AsyncClient(base_url=server.url, timeout=30, verify=LOOPBACK_TLS) as client:
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


@pytest.fixture(name="restored_logging")
def fixture_restored_logging() -> Iterator[None]:
    """For a test that calls `configure_logging`: the root logger's handlers and level, and
    the levels it sets on libraries, come back after it. A library left at DEBUG logged every
    Socket.IO packet and transition into every later test of that worker."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = (*CHATTY_LIBRARIES, QUIETED_LIBRARY)
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
        if handler not in handlers:
            handler.close()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, library_level in levels.items():
        logging.getLogger(name).setLevel(library_level)


@pytest.fixture(name="fake")
async def fixture_fake() -> AsyncIterator[FakeGroq]:
    """Groq's local stand-in (tests/llm/fake_groq.py) on a free loopback port, per test."""
    server = await FakeGroq().start()
    yield server
    await server.stop()


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
