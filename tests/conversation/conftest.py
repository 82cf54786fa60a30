"""One live server (demo knowledge base) for the conversation tests over sockets."""

from __future__ import annotations

from tests.support import shared_server

chat_server, chat_admin = shared_server("chat_server", "chat_admin", "package", demo_kb=True)
