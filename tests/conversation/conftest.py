"""One live server (demo knowledge base) for the conversation tests over sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from tests.support import LiveServer, admin_http, serving


@pytest.fixture(name="chat_server", scope="package")
def fixture_chat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with serving(tmp_path_factory.mktemp("chat") / "data", demo_kb=True) as server:
        yield server


@pytest.fixture(name="chat_admin")
async def fixture_chat_admin(chat_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with admin_http(chat_server) as client:
        yield client
