"""`RetentionSweep`: closed chats are kept `SUPPORTFLOW_RETENTION_DAYS`, then deleted.

An open `POST /api/sessions` would otherwise let anyone grow the database without end,
and old transcripts are personal data nobody needs. The sweep runs once at start-up and
then every `SUPPORTFLOW_RETENTION_INTERVAL_SECONDS`; each run is one transaction
(`Store.delete_closed_sessions`). Open rooms are never touched, however old.
"""

from __future__ import annotations

import asyncio
import logging

from supportflow.store import Store, utc_in

log = logging.getLogger(__name__)

_DAY = 24 * 3600.0


class RetentionSweep:
    def __init__(self, store: Store, days: float, interval_seconds: float) -> None:
        self._store = store
        self._keep_seconds = days * _DAY
        self._interval = interval_seconds

    async def run(self) -> None:
        """Sweep now, then forever every interval (cancel the task to stop)."""
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("retention sweep failed")
            await asyncio.sleep(self._interval)

    async def sweep(self) -> int:
        """Delete what is past retention; the number of sessions deleted."""
        deleted = await self._store.delete_closed_sessions(utc_in(-self._keep_seconds))
        if deleted:
            log.info("retention deleted closed sessions", extra={"sessions": deleted})
        return deleted
