"""How many idle Socket.IO connections one server process holds, and at what memory cost.

Starts `supportflow serve` (or targets --url with --pid), creates one customer session per
connection, opens N Socket.IO connections speaking the wire protocol directly (engine.io 4
over WebSocket, so the client side stays light), keeps them idle and answering pings, and
prints the connection rate and the server's resident memory before and after.

    python scripts/bench_connections.py --connections 5000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import machine_description, resident_mib, server_process


async def create_tokens(url: str, count: int) -> list[str]:
    limit = asyncio.Semaphore(32)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:

        async def one(i: int) -> str:
            async with limit:
                response = await http.post("/api/sessions", json={})
                response.raise_for_status()
                token: str = response.json()["token"]
                return token

        return await asyncio.gather(*(one(i) for i in range(count)))


class IdleSocket:
    """One Socket.IO client on the bare protocol: connect with a token, answer pings."""

    def __init__(self, session: aiohttp.ClientSession, ws_url: str, token: str) -> None:
        self._session = session
        self._ws_url = ws_url
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._ws = await self._session.ws_connect(self._ws_url, heartbeat=None)
        opening = await self._ws.receive_str()  # engine.io OPEN: 0{...}
        if not opening.startswith("0"):
            raise RuntimeError(f"unexpected engine.io greeting {opening[:40]!r}")
        await self._ws.send_str("40" + json.dumps({"token": self._token}))
        while True:
            reply = await self._ws.receive_str()
            if reply == "2":
                await self._ws.send_str("3")
                continue
            if reply.startswith("40"):
                break
            raise RuntimeError(f"connection refused: {reply[:120]}")
        self._reader = asyncio.create_task(self._answer_pings())

    async def _answer_pings(self) -> None:
        assert self._ws is not None
        async for message in self._ws:
            if message.type == aiohttp.WSMsgType.TEXT and message.data == "2":
                await self._ws.send_str("3")

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()


async def measure(url: str, pid: int, connections: int, concurrency: int, idle: float) -> None:
    print(f"machine: {machine_description()}")
    print(f"creating {connections} customer sessions ...", flush=True)
    tokens = await create_tokens(url, connections)
    before = resident_mib(pid)
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    connector = aiohttp.TCPConnector(limit=0)
    sockets: list[IdleSocket] = []
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def connect(token: str) -> None:
            async with limit:
                sock = IdleSocket(session, ws_url, token)
                await sock.open()
                sockets.append(sock)

        started = time.perf_counter()
        await asyncio.gather(*(connect(token) for token in tokens))
        elapsed = time.perf_counter() - started
        print(
            f"opened {len(sockets)} connections in {elapsed:.1f} s "
            f"({len(sockets) / elapsed:.0f} connections/s, {concurrency} at a time)"
        )
        await asyncio.sleep(idle)
        after = resident_mib(pid)
        async with httpx.AsyncClient(timeout=30) as http:
            healthy = (await http.get(f"{url}/api/health")).status_code
        print(
            f"server resident memory: {before:.0f} MiB before, {after:.0f} MiB with "
            f"{len(sockets)} idle sockets ({(after - before) * 1024 / len(sockets):.1f} KiB "
            f"per socket); health {healthy} after {idle:.0f} s idle"
        )
        print(f"target: < 1024 MiB -> {'met' if after < 1024 else 'NOT met'}")
        await asyncio.gather(*(sock.close() for sock in sockets))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds to hold them idle")
    parser.add_argument("--url", help="a running server (needs --pid for its memory)")
    parser.add_argument("--pid", type=int, help="the running server's process id")
    args = parser.parse_args()
    if args.url:
        if args.pid is None:
            parser.error("--url needs --pid")
        asyncio.run(measure(args.url, args.pid, args.connections, args.concurrency, args.idle))
        return 0
    with server_process() as server:
        asyncio.run(measure(server.url, server.pid, args.connections, args.concurrency, args.idle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
