"""Answers written by Groq (OpenAI-compatible chat completions) from the retrieved context.

The system prompt keeps the model to the numbered context, asks for the shape the offline
answerer gives (short Markdown: whole sentences, an article's steps as a numbered list in
its order and numbering), asks it to cite article ids in brackets and to begin with
NO_ANSWER when the context does not answer the question. The bracketed ids become the
reply's `sources` and leave its text: the page lists and links them. When
anything goes wrong (timeout, 429 after the SDK's retries, 5xx, a malformed or empty body)
the customer gets the offline answer instead; the failure is logged and counted by kind.

Confidence: the shared retrieval calibration, capped at NO_ANSWER_CONFIDENCE when the model
says it cannot answer. The model can lower confidence, never raise it: a fluent reply is no
evidence that the knowledge base holds the answer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import groq

from supportflow.knowledge.retrieval import Retrieval
from supportflow.llm.answer import Answer, Answerer, calibrated_confidence
from supportflow.metrics import UNOBSERVED, Metrics
from supportflow.rooms.responder import Turn
from supportflow.rooms.streaming import DeltaSink, current_sink

PROVIDER = "groq"
NO_ANSWER_MARKER = "NO_ANSWER"
NO_ANSWER_CONFIDENCE = 0.3
HISTORY_TURNS = 6
_CITATION = re.compile(r"\[([^\[\]\s]{1,200})\]")
_ROLES = {"user": "user", "bot": "assistant", "agent": "assistant"}
_SPACES = re.compile(r"[ \t]{2,}")
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([.,;:!?)])")
_TRAILING_SPACE = re.compile(r"[ \t]+$", re.MULTILINE)
_OPEN_CITATION = re.compile(r"\[[^\[\]\s]{0,200}$")

SYSTEM_PROMPT = f"""You are the customer-support assistant of a telecom company.
Answer the customer's last message using ONLY the numbered help-article context below.
- Be brief (at most 4 sentences or one short list), friendly and concrete. Whole sentences.
- Write Markdown: short paragraphs; steps as a numbered list, one step a line, in the
  article's order and with its numbers ("1. ..."); options as a "- " list; **bold** only for
  a word that must stand out. No headings, tables, images, HTML or "Source:" lines.
- Cite the articles you used by their id in square brackets, e.g. [billing-basics].
- If the context does not contain the answer, reply with {NO_ANSWER_MARKER} followed by one
  sentence telling the customer you will connect them with a colleague. Never guess.
- Never invent prices, dates, phone numbers or policies."""

logger = logging.getLogger(__name__)


class GroqAnswerer:
    """Groq-written answers with the offline answerer as the safety net."""

    name = PROVIDER

    def __init__(
        self,
        client: groq.AsyncGroq,
        model: str,
        fallback: Answerer,
        context_chars: int,
        metrics: Metrics = UNOBSERVED,
    ) -> None:
        self._client = client
        self._model = model
        self._fallback = fallback
        self._context_chars = context_chars
        self._metrics = metrics
        self.failures: Counter[str] = Counter()

    @classmethod
    def connect(
        cls,
        api_key: str,
        model: str,
        base_url: str | None,
        timeout_seconds: float,
        max_retries: int,
        fallback: Answerer,
        context_chars: int,
        metrics: Metrics = UNOBSERVED,
    ) -> GroqAnswerer:
        client = groq.AsyncGroq(
            api_key=api_key, base_url=base_url, timeout=timeout_seconds, max_retries=max_retries
        )
        return cls(client, model, fallback, context_chars, metrics)

    async def close(self) -> None:
        await self._client.close()

    @property
    def client(self) -> groq.AsyncGroq:
        """The SDK client, shared with the condense-question step (llm/condense.py)."""
        return self._client

    async def answer(self, question: str, retrieval: Retrieval, history: Sequence[Turn]) -> Answer:
        if retrieval.best is None:
            return await self._fallback.answer(question, retrieval, history)
        self._metrics.groq_calls.inc()
        try:
            messages = build_messages(question, retrieval, history, self._context_chars)
            sink = current_sink()
            known = {doc.doc_id for doc in retrieval.documents}
            reply = await (
                self._stream(messages, sink, known) if sink else self._complete(messages)
            )
        except Exception as error:  # any provider failure must still answer the customer
            kind = _failure_kind(error)
            self.failures[kind] += 1
            self._metrics.groq_failures.labels(kind=kind).inc()
            logger.warning("groq failed (%s): %s; answering offline", kind, error)
            return await self._fallback.answer(question, retrieval, history)
        return _to_answer(reply, retrieval)

    async def _complete(self, messages: list[dict[str, str]]) -> str:
        completion: Any = await self._client.chat.completions.create(
            model=self._model,
            messages=messages,  # type: ignore[arg-type]
            temperature=0.2,
            max_tokens=400,
        )
        content = completion.choices[0].message.content
        if not isinstance(content, str) or not content.strip():
            raise MalformedReply("the completion has no text")
        return content.strip()

    async def _stream(
        self, messages: list[dict[str, str]], sink: DeltaSink, known: set[str]
    ) -> str:
        """The completion streamed (SSE chunks), each new piece handed to `sink` as it comes.

        Held back while the text could still become the NO_ANSWER marker: that reply is
        replaced by a hand-over, so its words must never reach the customer. What is sent
        is the text as the stored reply will read, citations of `known` ids left out: a
        bracket not yet closed, and trailing spaces, wait for what follows them.
        """
        stream: Any = await self._client.chat.completions.create(
            model=self._model,
            messages=messages,  # type: ignore[arg-type]
            temperature=0.2,
            max_tokens=400,
            stream=True,
        )
        text = ""
        sent = ""
        async for chunk in stream:
            piece = chunk.choices[0].delta.content if chunk.choices else None
            if not piece:
                continue
            text += piece
            start = text.lstrip()
            if NO_ANSWER_MARKER.startswith(start[: len(NO_ANSWER_MARKER)]) and (
                len(start) <= len(NO_ANSWER_MARKER) or start.startswith(NO_ANSWER_MARKER)
            ):
                continue
            visible = _streamable(text, known)
            if len(visible) > len(sent) and visible.startswith(sent):
                await sink(visible[len(sent) :])
                sent = visible
        if not text.strip():
            raise MalformedReply("the stream has no text")
        return text.strip()


class MalformedReply(ValueError):
    """Groq answered 200 with something that is not a usable reply."""


def build_messages(
    question: str, retrieval: Retrieval, history: Sequence[Turn], context_chars: int
) -> list[dict[str, str]]:
    """System prompt with numbered context, recent history, then the question."""
    blocks = [
        f"({number}) [{hit.passage.doc_id}] {hit.passage.title}\n{hit.passage.text}"
        for number, hit in enumerate(retrieval.context(context_chars), 1)
    ]
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT + "\n\nContext:\n" + "\n\n".join(blocks)}
    ]
    for turn in list(history)[-HISTORY_TURNS:]:
        role = _ROLES.get(turn.sender_type)
        if role is not None and turn.text.strip():
            messages.append({"role": role, "content": turn.text})
    messages.append({"role": "user", "content": question})
    return messages


def _to_answer(reply: str, retrieval: Retrieval) -> Answer:
    confidence = calibrated_confidence(retrieval)
    if reply.startswith(NO_ANSWER_MARKER):
        reply = (
            reply[len(NO_ANSWER_MARKER) :].lstrip(" :.-\n")
            or "Let me connect you with a colleague."
        )
        confidence = min(confidence, NO_ANSWER_CONFIDENCE)
    known = {doc.doc_id for doc in retrieval.documents}
    cited = tuple(dict.fromkeys(ref for ref in _CITATION.findall(reply) if ref in known))
    best = retrieval.best
    if not cited and best is not None:
        cited = (best.doc_id,)
    return Answer(without_citations(reply, known), confidence, PROVIDER, cited)


def without_citations(reply: str, known: set[str]) -> str:
    """`reply` without its bracketed article ids (they are the reply's sources, listed and
    linked under it), spaces before punctuation they leave behind closed up."""
    bare = _CITATION.sub(lambda found: "" if found.group(1) in known else found.group(0), reply)
    tidy = _SPACE_BEFORE_MARK.sub(r"\1", _SPACES.sub(" ", bare))
    return _TRAILING_SPACE.sub("", tidy).strip()


def _streamable(text: str, known: set[str]) -> str:
    """What of a reply still being written can be shown: `without_citations` of it, up to
    a bracket that may yet close into a citation."""
    opened = _OPEN_CITATION.search(text)
    return without_citations(text[: opened.start()] if opened else text, known)


def _failure_kind(error: Exception) -> str:
    if isinstance(error, groq.APITimeoutError):
        return "timeout"
    if isinstance(error, groq.RateLimitError):
        return "rate_limited"
    if isinstance(error, groq.APIStatusError):
        return "server_error" if error.status_code >= 500 else "client_error"
    if isinstance(error, groq.APIConnectionError):
        return "connection"
    return "malformed"
