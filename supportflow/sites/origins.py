"""Which web origins may use the chat: every site's allowed origins, kept in memory.

engine.io decides a Socket.IO handshake's Origin synchronously, so the sites' origins are
held here (`SiteOrigins`): loaded at start-up, reloaded by this process after an admin
changes a site, and re-read every few seconds, so that the other nodes of a cluster (or the
other workers sharing one database) follow too. REST routes read the site itself instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from supportflow.store import Store
from supportflow.store.sites import SiteRecord

log = logging.getLogger(__name__)

# A browser's Origin: scheme, host and a port (1 to 65535), nothing else (no path, no
# wildcard). Scheme and host in any case: they are lowered when stored.
_PORT = r"(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"
ORIGIN_PATTERN = rf"^[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?(:{_PORT})?/?$"
_DEFAULT_PORTS = {"http": 80, "https": 443}
# How stale another node's change of a site's origins may be at this node's handshakes.
REFRESH_SECONDS = 5.0


def normalize_origin(text: str) -> str:
    """`text` as browsers send it in Origin (lowercase host, no default port, no slash).

    ValueError for anything that is not a plain http(s) origin: paths, queries, user names,
    wildcards and IP-literal brackets are refused rather than guessed at.
    """
    if not re.fullmatch(ORIGIN_PATTERN, text):
        raise ValueError("an origin is scheme://host[:port], such as https://www.example.com")
    parts = urlsplit(text.lower())
    port = parts.port  # the pattern allows only 1 to 65535
    host = parts.hostname or ""
    if port is None or port == _DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


class SiteOrigins:
    """Every site's allowed origins, as of the last load."""

    def __init__(self) -> None:
        self._by_site: dict[str, frozenset[str]] = {}
        self._all: frozenset[str] = frozenset()

    def allows(self, origin: str) -> bool:
        """Whether some site allows `origin` (as a browser sends it)."""
        return origin.rstrip("/").lower() in self._all

    def load(self, sites: Iterable[SiteRecord]) -> None:
        self._by_site = {site.site_id: frozenset(site.allowed_origins) for site in sites}
        self._all = frozenset().union(*self._by_site.values())

    async def reload(self, store: Store) -> None:
        self.load(await store.sites())

    async def keep_fresh(self, store: Store, interval: float) -> None:
        """Reload every `interval` seconds until cancelled (a failed read keeps the last)."""
        while True:
            await asyncio.sleep(interval)
            try:
                await self.reload(store)
            except Exception:
                log.warning("could not re-read the sites' origins", exc_info=True)
