"""A live server with the demo knowledge base, shared by the learning tests of one module."""

from __future__ import annotations

from tests.support import shared_server

learning_server, learning_admin = shared_server("learning_server", "learning_admin", demo_kb=True)
