"""Chroma's failures as supportflow's: a server that is down, hung or failing is Unavailable.

A Chroma server that cannot be reached, times out or fails answers Unavailable
`knowledge_unavailable` (503) rather than an internal error. Errors of our own making (a bad
filter, a wrong type) are left as they are: they are bugs, not outages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from supportflow.errors import Unavailable

T = TypeVar("T")


def unavailable(error: BaseException) -> Unavailable:
    """The error a caller sees when Chroma failed with `error`."""
    return Unavailable(
        f"the knowledge base is unavailable (Chroma: {type(error).__name__}: {error})",
        "knowledge_unavailable",
    )


def server_failures() -> tuple[type[BaseException], ...]:
    """What a Chroma server that is down, hung or failing raises (not our own bad calls)."""
    from chromadb.errors import InternalError, RateLimitError

    return (httpx.TransportError, InternalError, RateLimitError, ConnectionError)


def guarded(work: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`work(*args)`, with a server's failure turned into Unavailable `knowledge_unavailable`."""
    try:
        return work(*args, **kwargs)
    except server_failures() as error:
        raise unavailable(error) from error
