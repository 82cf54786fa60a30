"""A webhook receiver on loopback (aiohttp), that records what it is sent and answers as told."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.support import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


class Receiver:
    """Answers each POST with the next status of `script` (200 once it is used up); while
    `hold` is set, requests wait for it to be released before answering."""

    def __init__(self, script: list[int] | None = None) -> None:
        self.script = list(script or [])
        self.received: list[Received] = []
        self.hold: asyncio.Event | None = None
        self._arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.hold is not None:
            self.hold.set()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        received = Received(dict(request.headers), await request.read())
        async with self._arrived:
            self.received.append(received)
            self._arrived.notify_all()
        if self.hold is not None:
            await self.hold.wait()
        status = self.script.pop(0) if self.script else 200
        return web.Response(status=status)

    def events(self, match: Callable[[Received], bool] = lambda _: True) -> list[Received]:
        return [item for item in self.received if match(item)]

    async def wait_for(
        self, match: Callable[[Received], bool], count: int = 1, timeout: float = 30
    ) -> list[Received]:
        """The first `count` requests that satisfy `match` (waiting for them if needed)."""
        async with self._arrived:
            await asyncio.wait_for(
                self._arrived.wait_for(lambda: len(self.events(match)) >= count), timeout
            )
        return self.events(match)[:count]
