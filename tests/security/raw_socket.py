"""A Socket.IO client that sends packets as raw text, as an attacker would.

`socketio.AsyncClient` refuses to emit reserved event names (`connect`, `disconnect`) and
cannot send a non-string name: this client writes the Socket.IO packet itself over a real
engine.io connection (`engineio.AsyncClient`), so the server sees exactly those bytes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import engineio


class RawSocket:
    """One engine.io connection; `connect` signs in to "/", `call` sends an EVENT packet."""

    def __init__(self) -> None:
        self.eio = engineio.AsyncClient()
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self.refusal: Any = None
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(100)
        self.eio.on("message", self._received)
        self.eio.on("disconnect", self.closed.set)

    async def open(self, url: str) -> RawSocket:
        """The transport only (engine.io), not yet signed in to the namespace."""
        await self.eio.connect(url, transports=["websocket"], engineio_path="socket.io")
        return self

    async def connect(self, url: str, token: str) -> RawSocket:
        await self.open(url)
        await self.eio.send("0" + json.dumps({"token": token}))
        await asyncio.wait_for(self.connected.wait(), 10)
        return self

    async def call(self, packet_data: str, timeout: float = 10) -> Any:
        """Send `42<id><packet_data>` (packet_data: the raw JSON array) and return the ack's
        first argument."""
        ack_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = future
        await self.eio.send(f"2{ack_id}{packet_data}")
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        await self.eio.disconnect()

    async def _received(self, data: Any) -> None:
        text = data if isinstance(data, str) else data.decode()
        kind, rest = text[:1], text[1:]
        if kind == "0":
            self.connected.set()
        elif kind == "4":  # CONNECT_ERROR
            self.refusal = json.loads(rest)
            self.connected.set()
        elif kind == "3":
            digits = "".join(itertools.takewhile(str.isdigit, rest))
            future = self._acks.pop(int(digits), None)
            if future is not None and not future.done():
                payload = json.loads(rest[len(digits) :])
                future.set_result(payload[0] if payload else None)
