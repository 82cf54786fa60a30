"""supportflow: a telecom customer-support backend where a RAG bot hands chats to humans."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
