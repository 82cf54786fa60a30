"""Where a streamed reply's text goes while it is being written: a task-local sink.

A room's bot turn opens `streaming_to(sink)` around the responder; a provider that can
stream (Groq) hands each new piece of text to `current_sink()`. Task-local like
`Embedder.primed`, so one room's tokens never reach another, and nothing outlives the turn.
Providers that cannot stream simply never call it: the stored reply is always complete on
its own, so a client that ignores the pieces loses nothing. The responder runs an answerer
inside `not_streaming()` when the answer's words will not be the reply (bot/responder.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar

DeltaSink = Callable[[str], Awaitable[None]]

_SINK: ContextVar[DeltaSink | None] = ContextVar("supportflow_reply_stream", default=None)


@contextmanager
def streaming_to(sink: DeltaSink | None) -> Iterator[None]:
    """Inside the block, in this task only, written text goes to `sink` (None: nowhere)."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)


def not_streaming() -> AbstractContextManager[None]:
    """Inside the block, in this task only, no sink: what is written there is not shown."""
    return streaming_to(None)


def current_sink() -> DeltaSink | None:
    return _SINK.get()
