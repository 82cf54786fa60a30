"""Issue 20, item 4: a transport that never signs in is closed at the deadline, the TCP
connection with it, and one address may hold only so many of them at a time.

The client here is a bare TCP socket speaking just the WebSocket handshake: it answers
nothing afterwards (no pong, no close frame), as an attacker holding connections would.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx

from tests.security.raw_socket import RawSocket
from tests.support import LiveServer, admin_headers

HANDSHAKE = (
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def _silent_transport(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    """A websocket transport opened and never spoken on; its HTTP status line."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(HANDSHAKE.encode())
    await writer.drain()
    status = (await reader.readline()).decode().strip()
    return reader, writer, status


async def _seconds_until_closed(reader: asyncio.StreamReader, limit: float) -> float:
    started = time.monotonic()
    while await asyncio.wait_for(reader.read(4096), limit):
        pass
    return time.monotonic() - started


async def test_the_deadline_closes_the_tcp_connection_too(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(socket_auth_timeout_seconds=0.5)
    reader, writer, status = await _silent_transport(server.settings.port)
    try:
        assert status.startswith("HTTP/1.1 101"), status
        # Before: engine.io sent CLOSE and then waited 45 s (the ping timeout) for a reply.
        assert await _seconds_until_closed(reader, limit=10) < 5
    finally:
        writer.close()


async def test_one_address_may_hold_only_so_many_transports_before_signing_in(
    start_server: Callable[..., LiveServer],
) -> None:
    server = start_server(socket_auth_timeout_seconds=30, max_pending_sockets_per_address=3)
    port = server.settings.port
    held = [await _silent_transport(port) for _ in range(3)]
    try:
        assert all(status.startswith("HTTP/1.1 101") for _, _, status in held)
        _, refused_writer, refused = await _silent_transport(port)
        refused_writer.close()
        assert not refused.startswith("HTTP/1.1 101"), refused
        # One that signs in stops counting: a transport opened after it is admitted again.
        held[0][1].close()
        async with httpx.AsyncClient(base_url=server.url) as http:
            session = (await http.post("/api/sessions", json={}, headers=admin_headers())).json()
        for _ in range(50):  # the server notices the closed one
            signed = RawSocket()
            try:
                await signed.connect(server.url, session["token"])
                break
            except Exception:
                await asyncio.sleep(0.1)
        assert signed.refusal is None
        ack = await signed.call(json.dumps(["sync", {"room_id": session["room_id"]}]))
        assert ack["ok"] is True
        _, writer, admitted = await _silent_transport(port)
        writer.close()
        assert admitted.startswith("HTTP/1.1 101"), admitted
        await signed.close()
    finally:
        for _, writer, _ in held:
            writer.close()
