"""The Socket.IO server: created with the app, mounted in front of it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import socketio

from supportflow.realtime import wire_json
from supportflow.realtime.connection_limits import ConnectionCount, EventRateLimit
from supportflow.realtime.managers import client_manager
from supportflow.realtime.namespace import (
    NAMELESS_EVENT,
    RESERVED_EVENT,
    UNDECODABLE_EVENT,
    ChatNamespace,
)
from supportflow.realtime.pending_transports import PendingTransports, client_address
from supportflow.services import Services
from supportflow.settings import Settings
from supportflow.sites import SiteOrigins


def create_socket_server(
    settings: Settings, services: Callable[[], Services]
) -> socketio.AsyncServer:
    """An ASGI Socket.IO server whose "/" namespace is the chat contract (docs/socketio.md).

    With `redis_url` set its emits reach the sockets of every node (`realtime.managers`).
    """
    server = ChatServer(
        settings.socket_auth_timeout_seconds,
        settings.max_pending_sockets_per_address,
        client_manager=client_manager(settings.redis_url, f"{settings.redis_prefix}:socketio"),
        async_mode="asgi",
        # Same origins as REST, plus the page's own origin. Never `[]`: to engine.io an
        # empty list means "do not check Origin at all".
        cors_allowed_origins=_origin_check(settings.cors_origins, lambda: services().site_origins),
        max_http_buffer_size=settings.max_socket_packet_bytes,
        serializer=DepthSafePacket,
        logger=False,
        engineio_logger=False,
    )
    namespace = ChatNamespace(
        "/",
        services,
        EventRateLimit(settings.socket_rate_per_second, settings.socket_rate_burst),
        ConnectionCount(settings.max_connections_per_token),
    )
    server.register_namespace(namespace)
    return server


class _DepthSafeJson:
    """orjson (`wire_json`: packet framing in C), except that a payload it refuses (nested
    past its depth limit, NaN, a lone surrogate, not JSON at all) decodes as the
    `UNDECODABLE_EVENT` event instead of raising: the packet's ack id is already read, so
    the client still gets an `invalid_input` ack instead of silence."""

    dumps = staticmethod(wire_json.dumps)

    @staticmethod
    def loads(*args: Any, **kwargs: Any) -> Any:
        try:
            return wire_json.loads(*args, **kwargs)
        except (ValueError, RecursionError):
            return [UNDECODABLE_EVENT, None]


class DepthSafePacket(socketio.packet.Packet):  # type: ignore[misc]  # untyped library
    json = _DepthSafeJson


# Names python-socketio gives a meaning of its own: the server's lifecycle handlers
# (`connect`, `disconnect`: dispatched to the very handler an EVENT packet of that name
# would reach), the client's (`connect_error`, `__disconnect_final`) and the catch-all `*`.
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "__disconnect_final", "*"})


def screened_event(data: Any) -> list[Any]:
    """A client EVENT packet's data, its name replaced by a refusal sentinel when it is not
    a string (`42[5,{}]`) or is reserved (`42["connect",{...}]`): such a packet must never
    reach a lifecycle handler, nor crash the dispatch before its ack."""
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        return [NAMELESS_EVENT, None]
    if data[0] in RESERVED_EVENTS:
        return [RESERVED_EVENT, None]
    return data


class ChatServer(socketio.AsyncServer):  # type: ignore[misc]  # untyped library
    """An `AsyncServer` that guards the transport before the namespace sees anything.

    - Client EVENT packets are screened (`screened_event`): only python-socketio itself
      runs the connect and disconnect handlers, with the environ it recorded.
    - Engine.io connections that do not connect to the namespace (authenticate) within
      `deadline` seconds are closed, the TCP connection with them. Without it, a client may
      open the transport and never send its token, and answering pings keeps it open
      forever. Hooked on engine.io's connect, which python-socketio handles in
      `_handle_eio_connect`.
    - At most `pending_per_address` of those not yet signed in per client address
      (`PendingTransports`); the next one is refused at the handshake.
    """

    def __init__(self, deadline: float, pending_per_address: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._deadline = deadline
        self._deadline_checks: set[asyncio.Task[None]] = set()
        self._pending = PendingTransports(pending_per_address)
        # The task serving each websocket transport (its ASGI call), to end it at the deadline.
        self._transport_tasks: dict[str, asyncio.Task[Any]] = {}

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        if not self._pending.admit(eio_sid, client_address(environ)):
            return False  # engine.io answers the handshake 401
        result = await super()._handle_eio_connect(eio_sid, environ)
        # engine.io runs its connect handler in the task that serves the transport.
        serving = asyncio.current_task()
        if serving is not None:
            self._transport_tasks[eio_sid] = serving
        task = asyncio.create_task(self._close_if_anonymous(eio_sid))
        self._deadline_checks.add(task)
        task.add_done_callback(self._deadline_checks.discard)
        return result

    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        await super()._handle_connect(eio_sid, namespace, data)
        if self.manager.sid_from_eio_sid(eio_sid, "/") is not None:
            self._pending.settled(eio_sid)  # signed in
            self._transport_tasks.pop(eio_sid, None)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        self._pending.settled(eio_sid)
        self._transport_tasks.pop(eio_sid, None)
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: Any, data: Any) -> None:
        # Every client event comes this way (binary ones too); lifecycle calls never do.
        await super()._handle_event(eio_sid, namespace, id, screened_event(data))

    async def _close_if_anonymous(self, eio_sid: str) -> None:
        await asyncio.sleep(self._deadline)
        if self.manager.sid_from_eio_sid(eio_sid, "/") is None:
            serving = self._transport_tasks.pop(eio_sid, None)
            await self.eio.disconnect(eio_sid)
            # engine.io only sends CLOSE; its websocket loop then waits for the client's
            # next frame until the ping timeout (45 s), holding the TCP connection. Ending
            # the task that serves it ends the ASGI call, and Hypercorn closes the socket.
            if serving is not None and not serving.done():
                serving.cancel()

    async def shutdown(self) -> None:
        for task in self._deadline_checks:
            task.cancel()
        await asyncio.gather(*self._deadline_checks, return_exceptions=True)
        await super().shutdown()
        await self.manager.close()


def _origin_check(
    configured: tuple[str, ...], sites: Callable[[], SiteOrigins]
) -> Callable[[str, dict[str, Any]], bool]:
    """Allow a handshake's Origin if it is the server's own, one configured, or one a widget
    site allows (which of that site's chats it may open is `realtime/site_origins.py`'s).

    Clients that send no Origin (scripts, native apps) are not checked by engine.io.
    """
    allowed = {origin.rstrip("/") for origin in configured}

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        # engine.io asks about handshakes without an Origin too; only browsers send one,
        # and cross-origin browser pages are what this check is for.
        if origin is None:
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin.rstrip("/") in allowed or sites().allows(origin)

    return check
