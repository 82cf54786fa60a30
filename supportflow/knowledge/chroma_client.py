"""Opening Chroma, embedded on disk or a Chroma server by URL, and closing it.

To use a Chroma server instead of the embedded store:
    chroma run --path /var/lib/supportflow/chroma --host 127.0.0.1 --port 8000
    SUPPORTFLOW_CHROMA_URL=http://127.0.0.1:8000

Chroma never embeds anything itself (its default function would download a model):
collections are opened without an embedding function, and every vector comes from our
`Embedder`. Everything here blocks: PassageStore calls it from worker threads.

Two things chromadb 1.5.9 offers no setting or call for, done on the HTTP session of its
server client (`FastAPI._session`, an `httpx.Client`), the one place supportflow touches
chromadb's internals:
- Bounded waits. chromadb builds that session with `timeout=None`, so a hung server would
  hold a worker thread and a customer's reply for good; nothing in `chromadb.config.Settings`
  reaches it (its timeouts are the server's own), and a custom `chroma_api_impl` class is
  refused by chromadb's client cache. Bounding the wait on our side instead (a deadline
  around each call) leaves the thread blocked on the socket for good, so the thread pool,
  and a shutdown that joins it, would hang with the server.
- Closing. `Client.close()` is chromadb's supported release, but in 1.5.9 the synchronous
  HTTP client's `stop()` leaves its connection pools open (chroma-core/chroma#2702, a fix
  open upstream as #7533): calling it would only let the pools, the client's and its
  internal admin client's, be collected with their sockets open. The client's own pool,
  the one every request uses, is closed instead.
A chromadb that moves the session is caught where it is read (`_http_session` answers
None, and the waits are then unbounded), and by the tests of a hung server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from supportflow.errors import ConfigurationError
from supportflow.knowledge.chroma_errors import unavailable
from supportflow.knowledge.example_store import ExampleStore
from supportflow.knowledge.title_store import TitleStore

COLLECTION_NAME = "supportflow_passages"
# A large upsert chunk fits well within; a hung server answers Unavailable after this.
HTTP_TIMEOUT_SECONDS = 30.0
HTTP_CONNECT_SECONDS = 5.0


def _chroma_settings() -> Any:
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def open_client(chroma_dir: Path | None, chroma_url: str | None) -> Any:
    """The embedded store in `chroma_dir`, or the server at `chroma_url` (Unavailable when
    nothing answers there)."""
    import chromadb

    if chroma_url:
        parsed = urlparse(chroma_url)
        if not parsed.hostname:
            raise ConfigurationError(f"SUPPORTFLOW_CHROMA_URL is not a URL: {chroma_url!r}")
        try:
            client: Any = chromadb.HttpClient(
                host=parsed.hostname,
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=_chroma_settings(),
            )
        except ValueError as error:  # chromadb's word for "nothing answered the heartbeat"
            raise unavailable(error) from error
        session = _http_session(client)
        if session is not None:
            session.timeout = httpx.Timeout(HTTP_TIMEOUT_SECONDS, connect=HTTP_CONNECT_SECONDS)
        return client
    if chroma_dir is None:
        raise ConfigurationError("an embedded vector store needs a directory")
    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=_chroma_settings())


def open_collections(client: Any) -> tuple[Any, TitleStore, ExampleStore]:
    """The passages' collection (cosine space; created if new), and the titles' and the
    article examples' beside it."""
    return (
        _collection(client, COLLECTION_NAME),
        TitleStore(_collection(client, f"{COLLECTION_NAME}-titles")),
        ExampleStore(_collection(client, f"{COLLECTION_NAME}-examples")),
    )


def _collection(client: Any, name: str) -> Any:
    """The collection `name`, created if new: cosine space, and our vectors only (never
    Chroma's default embedding function)."""
    return client.get_or_create_collection(
        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
    )


def close_client(client: Any) -> None:
    """Close the connections to a Chroma server (the embedded store stays open: other
    stores in this process may share its files)."""
    session = _http_session(client)
    if session is not None:
        session.close()


def _http_session(client: Any) -> httpx.Client | None:
    # See the module's docstring: chromadb offers neither a timeout setting nor a close of
    # its HTTP pool; None for the embedded store (and for a chromadb that moved it).
    session = getattr(getattr(client, "_server", None), "_session", None)
    return session if isinstance(session, httpx.Client) else None
