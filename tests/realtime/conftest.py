"""A live server with the demo knowledge base, shared by the room tests of one module."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support import ADMIN_TOKEN, LiveServer, server_settings


@pytest.fixture(name="room_server", scope="module")
def fixture_room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("rooms") / "data"
    server = LiveServer(server_settings(data_dir, demo_kb=True)).start()
    yield server
    server.stop()


@pytest.fixture(name="room_admin")
async def fixture_room_admin(room_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    async with httpx.AsyncClient(base_url=room_server.url, headers=headers, timeout=60) as client:
        yield client


@pytest.fixture(name="uid")
def fixture_uid() -> str:
    """A short unique suffix, so tests sharing a server never share ids."""
    return uuid.uuid4().hex[:8]
