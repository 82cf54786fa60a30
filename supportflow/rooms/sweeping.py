"""`sweep_forever`: the loop every room sweeper runs (unclaimed rooms, team widening)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


async def sweep_forever(interval: float, sweep: Callable[[], Awaitable[Any]], name: str) -> None:
    """Run `sweep` every `interval` seconds until cancelled; one failed sweep stops nothing."""
    while True:
        await asyncio.sleep(interval)
        try:
            await sweep()
        except Exception:
            log.exception("%s sweep failed", name)
