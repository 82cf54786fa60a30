"""The browser side: the agent console and the customer chat page, on the public API only."""

from __future__ import annotations

from supportflow.web.pages import blueprint

__all__ = ["blueprint"]
