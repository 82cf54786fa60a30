"""A Chroma server that hangs (connections open, nothing answered): a call waits at most the
client's bound, then answers Unavailable `knowledge_unavailable`, never holding a reply."""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlparse

import pytest

from supportflow.errors import Unavailable
from supportflow.knowledge import chroma_client
from supportflow.knowledge.passage_store import PassageStore
from tests.reliability.tcp_proxy import proxied

pytestmark = pytest.mark.slow


async def test_a_hung_chroma_server_is_unavailable_within_the_bound(
    chroma_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chroma_client, "HTTP_TIMEOUT_SECONDS", 1.0)
    port = urlparse(chroma_server).port
    assert port is not None
    with proxied(port) as proxy:
        store = await PassageStore.open(None, f"http://127.0.0.1:{proxy.port}")
        try:
            assert await store.count() == 0
            proxy.hang()
            started = time.monotonic()
            with pytest.raises(Unavailable) as refused:
                # Unbounded (the seam moved in chromadb), this fails here instead of hanging.
                await asyncio.wait_for(store.count(), 30)
            assert refused.value.code == "knowledge_unavailable"
            assert "Timeout" in refused.value.message
            assert time.monotonic() - started < 15
            proxy.restore()
            assert await store.count() == 0  # a fresh connection: the store carries on
        finally:
            proxy.restore()
            await store.close()
