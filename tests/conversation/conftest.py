"""The conversation tests over sockets run on the worker's demo server (tests/conftest.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.support import LiveServer


@pytest.fixture(name="chat_server")
def fixture_chat_server(demo_server: LiveServer) -> LiveServer:
    return demo_server


@pytest.fixture(name="chat_admin")
def fixture_chat_admin(demo_admin: httpx.AsyncClient) -> httpx.AsyncClient:
    return demo_admin
