"""Small static files (pages, CSS, JS, docs assets) answered from memory.

Quart's `send_from_directory` streams from an open file, and a browser that drops the
connection mid-response left that file unclosed (a ResourceWarning that failed test runs).
These files are small, so they are read whole, off the event loop, and sent as bytes.
"""

from __future__ import annotations

import asyncio
import mimetypes
from pathlib import Path

from quart import Response
from werkzeug.security import safe_join

from supportflow.errors import NotFound


async def file_response(directory: Path, name: str) -> Response:
    """The file `name` under `directory` (never outside it), or NotFound."""
    joined = safe_join(str(directory), name)
    path = Path(joined) if joined is not None else None
    if path is None or not path.is_file():
        raise NotFound(f"no file {name!r}")
    data = await asyncio.to_thread(path.read_bytes)
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(data, mimetype=mimetype)
