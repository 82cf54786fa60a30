"""A live server with the demo knowledge base, shared by the room tests of one module."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support import LiveServer, admin_http, serving


@pytest.fixture(name="room_server", scope="module")
def fixture_room_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("rooms") / "data", demo_kb=True) as server:
        yield server


@pytest.fixture(name="room_admin")
async def fixture_room_admin(room_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_http(room_server) as client:
        yield client
