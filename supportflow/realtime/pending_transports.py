"""Engine.io transports that have not signed in to "/" yet, counted per client address.

Opening a transport costs the server a connection before any token is shown; without a cap
one address could hold hundreds open, each until the sign-in deadline. Past
`per_address` pending ones, that address's next transport is refused; a transport stops
counting once it signs in or closes.
"""

from __future__ import annotations

from collections import Counter
from typing import Any


def client_address(environ: dict[str, Any]) -> str:
    """The connecting client's address (the ASGI scope's, as REST uses)."""
    scope = environ.get("asgi.scope") or {}
    peer = scope.get("client") if isinstance(scope, dict) else None
    return str(peer[0]) if peer else str(environ.get("REMOTE_ADDR") or "unknown")


class PendingTransports:
    def __init__(self, per_address: int) -> None:
        self._per_address = per_address
        self._address_of: dict[str, str] = {}  # eio_sid -> address, while pending
        self._pending: Counter[str] = Counter()

    def admit(self, eio_sid: str, address: str) -> bool:
        """Count a new transport of `address` as pending; False (and not counted) if that
        address already has `per_address` pending."""
        if self._pending[address] >= self._per_address:
            return False
        self._address_of[eio_sid] = address
        self._pending[address] += 1
        return True

    def settled(self, eio_sid: str) -> None:
        """The transport signed in or closed: it is not pending any more."""
        address = self._address_of.pop(eio_sid, None)
        if address is None:
            return
        self._pending[address] -= 1
        if self._pending[address] <= 0:
            del self._pending[address]

    def pending(self, address: str) -> int:
        return self._pending[address]
