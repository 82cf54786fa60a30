"""`python -m tests.reliability.slow_bot_server serve ...`: the real server, with a bot that
takes its time, so a test can stop the process while replies are being written.

The customer's message decides: one containing "slow" is answered after SLOW_SECONDS (longer
than Hypercorn's graceful period, so only the drain can finish it), one containing "stall"
never is (only abandoning it ends the shutdown); anything else goes to the real responder.
Everything else — Hypercorn, signals, rooms, SQLite — is the real thing.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from functools import partial

from supportflow import app, cli
from supportflow.app_parts import AppParts
from supportflow.bot.runtime import BotRuntime, open_bot
from supportflow.metrics import Metrics
from supportflow.rooms.responder import Reply, Responder, RoomView, Turn
from supportflow.settings import Settings

SLOW_SECONDS = 8.0
SLOW_REPLY = "Here is the answer that took its time."


class SlowResponder:
    def __init__(self, real: Responder) -> None:
        self._real = real

    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        if "stall" in text:
            await asyncio.sleep(3600)
        if "slow" in text:
            await asyncio.sleep(SLOW_SECONDS)
            return Reply(SLOW_REPLY, 0.9)
        return await self._real.respond(room, history, text)


async def open_slow_bot(settings: Settings, metrics: Metrics) -> BotRuntime:
    runtime = await open_bot(settings, metrics)
    runtime.responder = SlowResponder(runtime.responder)
    return runtime


if __name__ == "__main__":
    # cli.py imports create_app when it serves: hand it this bot through the app's parts.
    app.create_app = partial(app.create_app, parts=AppParts(open_bot=open_slow_bot))  # type: ignore[assignment]
    sys.exit(cli.main(sys.argv[1:]))
