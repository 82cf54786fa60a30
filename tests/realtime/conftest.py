"""A live server with the demo knowledge base, shared by the room tests of one module."""

from __future__ import annotations

from tests.support import shared_server

room_server, room_admin = shared_server("room_server", "room_admin", demo_kb=True)
