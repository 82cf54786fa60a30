"""Issue 20, item 9 (fast): webhook signatures cover a timestamp (replays can be refused),
and a delivery goes to the very address its URL check approved (no DNS rebinding window).

DNS cannot be made to lie for real here, so the event loop's resolver is replaced for one
name, and connections to anything but loopback are refused before they leave the machine.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from supportflow.store import Store
from supportflow.webhooks import WebhookDispatcher, sign, verify
from supportflow.webhooks.urls import checked_target
from tests.support import server_settings
from tests.webhooks.receiver import Receiver

SECRET = "whsec-test"
NAME = "hooks.example.com"
PUBLIC = "93.184.215.14"  # what the check is shown: a public address


def test_the_signature_covers_the_timestamp_and_the_body() -> None:
    body = b'{"event":"room.closed"}'
    expected = (
        "sha256=" + hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    )
    assert sign(SECRET, 1700000000, body) == expected
    assert verify(SECRET, body, "1700000000", expected, now=1700000100)
    assert not verify(SECRET, body + b" ", "1700000000", expected, now=1700000100)
    assert not verify(SECRET, body, "1700000001", expected, now=1700000100)  # moved timestamp
    assert not verify(SECRET, body, "1700000000", expected, now=1700000000 + 301)  # a replay
    assert not verify(SECRET, body, "1700000000", expected, now=1700000000 - 301)
    assert not verify(SECRET, body, "-1700000000", expected, now=1700000000)
    assert not verify("other-secret", body, "1700000000", expected, now=1700000000)


class RebindingDns:
    """Answers `NAME` with a public address the first time, loopback (an internal service)
    every time after: what a DNS-rebinding attacker's name server does."""

    def __init__(self, loop: asyncio.AbstractEventLoop, internal: str) -> None:
        self._real_resolve = loop.getaddrinfo
        self._real_connect = loop.create_connection
        self.internal = internal
        self.lookups = 0
        self.connected_to: list[str] = []

    async def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host  # anyio passes IDNA bytes
        if name != NAME:
            return await self._real_resolve(host, port, *args, **kwargs)
        self.lookups += 1
        address = PUBLIC if self.lookups == 1 else self.internal
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]

    async def create_connection(
        self, factory: Any, host: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        self.connected_to.append(str(host))
        if host is not None and not ipaddress.ip_address(host).is_loopback:
            raise OSError(f"tests never leave loopback ({host})")
        return await self._real_connect(factory, host, *args, **kwargs)


@pytest.fixture(name="store")
async def fixture_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await Store.open(tmp_path / "hooks.db", synchronous="NORMAL")
    yield store
    await store.close()


async def test_a_name_resolved_again_cannot_move_a_delivery_inside(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loop = asyncio.get_running_loop()
    async with Receiver() as internal:
        dns = RebindingDns(loop, "127.0.0.1")
        monkeypatch.setattr(loop, "getaddrinfo", dns.getaddrinfo)
        monkeypatch.setattr(loop, "create_connection", dns.create_connection)
        settings = server_settings(
            tmp_path / "data", webhook_refuse_private=True, webhook_max_attempts=1
        )
        await store.create_webhook(f"http://{NAME}:{internal.port}/hooks", ("room.closed",), SECRET)
        dispatcher = WebhookDispatcher(store, settings)
        await dispatcher.start()
        try:
            dispatcher.publish("room.closed", {"room_id": "r1", "previous": "bot_active"})
            for _ in range(100):
                hook = (await store.webhooks())[0]
                done = await store.recent_deliveries(hook.webhook_id, 5)
                if done and done[0].status != "pending":
                    break
                await asyncio.sleep(0.05)
        finally:
            await dispatcher.close()
        # Resolved once, by the check; the request went to the address it approved.
        assert internal.received == []  # on main: the second lookup's answer got it
        assert dns.lookups == 1
        assert dns.connected_to == [PUBLIC]


async def test_a_pinned_target_keeps_the_name_for_host_and_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop = asyncio.get_running_loop()
    dns = RebindingDns(loop, "127.0.0.1")
    monkeypatch.setattr(loop, "getaddrinfo", dns.getaddrinfo)
    target = await checked_target(f"https://{NAME}:8443/in?x=1", refuse_private=True)
    assert target.url == f"https://{PUBLIC}:8443/in?x=1"
    assert target.headers == {"Host": f"{NAME}:8443"}
    assert target.extensions == {"sni_hostname": NAME}
    literal = await checked_target("http://127.0.0.1:9/hooks", refuse_private=False)
    assert (literal.url, literal.headers) == ("http://127.0.0.1:9/hooks", {})
