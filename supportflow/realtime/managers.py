"""Socket.IO client managers: who is connected where, and how emits reach them.

One process: python-socketio's in-memory `AsyncManager`. Several nodes: its
`AsyncRedisManager`, so an emit on any node reaches the sockets of every node, and a
socket of another node can be put in or out of a Socket.IO room by its sid.

What python-socketio cannot do across nodes is *list* sockets: `get_participants` and
sessions (`Principal`s) are only known to the node holding the connection. So the notifier's
membership changes that start from "which sockets are in here?" (`sync_readers`, moving an
agent's sockets) are *node calls*: run on this node, and published on the same Redis
channel as the emits for every other node to run on its own sockets. Same channel, same
publisher: a node applies a call before any emit published after it, so the room's next
message reaches only its readers, on every node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import socketio

log = logging.getLogger(__name__)

NodeCall = Callable[..., Awaitable[None]]
_METHOD = "supportflow"  # python-socketio's own listener ignores methods it does not know


class NodeCalls:
    """Named calls that run on every node's own sockets (mixed into both managers)."""

    _calls: dict[str, NodeCall]

    def register_node_call(self, name: str, call: NodeCall) -> None:
        if not hasattr(self, "_calls"):
            self._calls = {}
        self._calls[name] = call

    async def everywhere(self, name: str, *args: Any) -> None:
        """Run `name(*args)` here, then on every other node (JSON-able arguments only)."""
        await self._run_here(name, args)

    async def _run_here(self, name: str, args: tuple[Any, ...] | list[Any]) -> None:
        call = getattr(self, "_calls", {}).get(name)
        if call is None:
            log.warning("unknown node call", extra={"call": name})
            return
        await call(*args)


class LocalManager(socketio.AsyncManager, NodeCalls):  # type: ignore[misc]  # untyped library
    """One process: every socket is here, so a node call runs once, here."""

    async def close(self) -> None:
        pass


class ClusterManager(socketio.AsyncRedisManager, NodeCalls):  # type: ignore[misc]
    """python-socketio's Redis manager, carrying supportflow's node calls on its channel."""

    async def everywhere(self, name: str, *args: Any) -> None:
        await self._run_here(name, args)
        await self._publish(
            {"method": _METHOD, "name": name, "args": list(args), "host_id": self.host_id}
        )

    async def _listen(self) -> AsyncIterator[Any]:
        # Node calls are taken out of the stream here, in order with the emits around
        # them; everything else goes on, already decoded, to python-socketio's listener.
        async for raw in super()._listen():
            try:
                message = self.json.loads(raw)
            except ValueError:
                continue
            if isinstance(message, dict) and message.get("method") == _METHOD:
                if message.get("host_id") != self.host_id:
                    await self._run_remote(message)
                continue
            yield message

    async def close(self) -> None:
        """Stop listening and close both Redis connections (python-socketio never does)."""
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Task):
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
        for connection in (self.pubsub, self.redis):
            if connection is not None:
                with contextlib.suppress(Exception):
                    await connection.aclose()

    async def _run_remote(self, message: dict[str, Any]) -> None:
        try:
            await self._run_here(str(message.get("name")), message.get("args") or [])
        except Exception:  # one failed call must not stop the listener
            log.exception("node call failed", extra={"call": message.get("name")})


def client_manager(redis_url: str | None, channel: str) -> LocalManager | ClusterManager:
    """The manager for this deployment: Redis-backed when `redis_url` is set."""
    if redis_url is None:
        return LocalManager()
    return ClusterManager(redis_url, channel=channel)
