"""A local HTTP server that speaks Groq's OpenAI-compatible chat-completions API."""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from typing import Any

from aiohttp import web

from supportflow.llm.groq_answerer import GroqAnswerer
from supportflow.llm.offline import OfflineAnswerer

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


def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    """One `chat.completion.chunk`, as Groq streams them."""
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "llama-3.1-8b-instant",
        "system_fingerprint": "fp_test",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }


def stream_pieces(content: str) -> list[str]:
    """The text cut as a tokenizer would: each word with its leading space."""
    words = content.split(" ")
    return [words[0]] + [f" {word}" for word in words[1:]]


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

    def server_overrides(self) -> dict[str, Any]:
        """Settings that send a live server's Groq calls here (and never retry them)."""
        return {"groq_api_key": "test-key", "groq_base_url": self.base_url, "groq_max_retries": 0}

    def answerer(self, *, timeout_seconds: float, max_retries: int) -> GroqAnswerer:
        """A Groq answerer talking to this stand-in, answering offline when it fails."""
        return GroqAnswerer.connect(
            api_key="test-key",
            model="llama-3.1-8b-instant",
            base_url=self.base_url,
            timeout_seconds=timeout_seconds,
            max_retries=max_retries,
            fallback=OfflineAnswerer(),
            context_chars=2000,
        )

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        kind, value = self.script.popleft() if self.script else ("ok", "default reply")
        if kind == "ok" and body.get("stream"):
            return await self._stream(request, value)
        if kind == "ok":
            return web.json_response(completion(value))
        if kind == "status":
            error = {"error": {"message": "scripted failure", "type": "test"}}
            return web.json_response(error, status=value, headers={"retry-after": "0"})
        if kind == "sleep":
            await asyncio.sleep(value)
            return web.json_response(completion("too late"))
        return web.Response(text=value, content_type="application/json")

    async def _stream(self, request: web.Request, content: str) -> web.StreamResponse:
        # Server-sent events as Groq sends them: a role chunk, content chunks, a final
        # chunk with finish_reason (and x_groq usage), then `data: [DONE]`.
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in stream_pieces(content)]
        last = chunk({}, "stop")
        last["x_groq"] = {"id": "req_test", "usage": {"completion_tokens": 5}}
        events.append(last)
        for event in events:
            await response.write(f"data: {json.dumps(event)}\n\n".encode())
            await asyncio.sleep(0.005)
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def dumps(value: Any) -> str:
    return json.dumps(value)
