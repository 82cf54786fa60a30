"""The Socket.IO server: created with the app, mounted in front of it."""

from __future__ import annotations

from collections.abc import Callable

import socketio

from supportflow.realtime.namespace import ChatNamespace
from supportflow.services import Services
from supportflow.settings import Settings


def create_socket_server(
    settings: Settings, services: Callable[[], Services]
) -> socketio.AsyncServer:
    """An ASGI Socket.IO server whose "/" namespace is the chat contract of DESIGN.md."""
    server = socketio.AsyncServer(
        async_mode="asgi",
        # Same origins as REST; with none configured, only same-origin pages may connect.
        cors_allowed_origins=list(settings.cors_origins) or [],
        max_http_buffer_size=settings.max_body_bytes,
        logger=False,
        engineio_logger=False,
    )
    server.register_namespace(ChatNamespace("/", services))
    return server
