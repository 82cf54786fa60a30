"""Security headers: `nosniff` on every HTTP answer, and a strict CSP for the API docs page.

The pages (`/chat`, `/console`) set their own CSP in `web/pages.py`; the docs page is
rendered by quart-schema with one inline script, which its CSP allows by hash only.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from quart import Quart, Response, request

Scope = dict[str, Any]
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
DOCS_PATH = "/docs"


def with_nosniff(asgi_app: Any) -> Any:
    """`asgi_app` answering every HTTP request with `X-Content-Type-Options: nosniff`.

    An ASGI wrapper rather than a Quart hook, so engine.io's own HTTP answers (long
    polling) carry it too.
    """

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await asgi_app(scope, receive, send)
            return

        async def send_with_header(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (name, value)
                    for name, value in message.get("headers", [])
                    if name.lower() != b"x-content-type-options"
                ]
                headers.append((b"x-content-type-options", b"nosniff"))
                message = {**message, "headers": headers}
            await send(message)

        await asgi_app(scope, receive, send_with_header)

    return app


def register_docs_policy(app: Quart) -> None:
    @app.after_request
    async def docs_policy(response: Response) -> Response:
        if request.path == DOCS_PATH and response.mimetype == "text/html":
            response.headers["Content-Security-Policy"] = await _docs_csp(response)
        return response


async def _docs_csp(response: Response) -> str:
    page = await response.get_data(as_text=True)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(page)
    )
    # Swagger UI sets style attributes from its script, hence 'unsafe-inline' for styles
    # only; scripts run from this server or by exact hash.
    return (
        f"default-src 'self'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none';"
        " base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )
