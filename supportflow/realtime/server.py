"""The Socket.IO server: created with the app, mounted in front of it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import socketio

from supportflow.realtime.limits import ConnectionCount, EventRateLimit
from supportflow.realtime.namespace import ChatNamespace
from supportflow.services import Services
from supportflow.settings import Settings


def create_socket_server(
    settings: Settings, services: Callable[[], Services]
) -> socketio.AsyncServer:
    """An ASGI Socket.IO server whose "/" namespace is the chat contract of DESIGN.md."""
    server = socketio.AsyncServer(
        async_mode="asgi",
        # Same origins as REST, plus the page's own origin. Never `[]`: to engine.io an
        # empty list means "do not check Origin at all".
        cors_allowed_origins=_origin_check(settings.cors_origins),
        max_http_buffer_size=settings.max_socket_packet_bytes,
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


def _origin_check(configured: tuple[str, ...]) -> Callable[[str, dict[str, Any]], bool]:
    """Allow a handshake's Origin if it is the server's own or one configured.

    Clients that send no Origin (scripts, native apps) are not checked by engine.io.
    """
    allowed = {origin.rstrip("/") for origin in configured}

    def check(origin: str | None, environ: dict[str, Any]) -> bool:
        # engine.io asks about handshakes without an Origin too; only browsers send one,
        # and cross-origin browser pages are what this check is for.
        if origin is None:
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin == own or origin.rstrip("/") in allowed

    return check
