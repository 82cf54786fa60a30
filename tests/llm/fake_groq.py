"""A local HTTP server that speaks Groq's OpenAI-compatible chat-completions API."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

from aiohttp import web

COMPLETIONS_PATH = "/openai/v1/chat/completions"


def completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "llama-3.1-8b-instant",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


class FakeGroq:
    """Answers each request with the next scripted step: ("ok", text), ("status", code),
    ("sleep", seconds) or ("raw", body). Records every request body it receives."""

    def __init__(self) -> None:
        self.script: deque[tuple[str, Any]] = deque()
        self.requests: list[dict[str, Any]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> FakeGroq:
        app = web.Application()
        app.router.add_post(COMPLETIONS_PATH, self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        kind, value = self.script.popleft() if self.script else ("ok", "default reply")
        if kind == "ok":
            return web.json_response(completion(value))
        if kind == "status":
            error = {"error": {"message": "scripted failure", "type": "test"}}
            return web.json_response(error, status=value, headers={"retry-after": "0"})
        if kind == "sleep":
            await asyncio.sleep(value)
            return web.json_response(completion("too late"))
        return web.Response(text=value, content_type="application/json")


def dumps(value: Any) -> str:
    return json.dumps(value)
