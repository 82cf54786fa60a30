"""`/console` (agents), `/chat` (customers), `/statecharts`, `/admin`: static pages over the
public API.

The pages hold no server-side state and no templates: everything they show comes from the
same REST and Socket.IO contract any other client uses, so they double as its live demo.
"""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response
from quart_schema import hide

from supportflow.errors import NotFound
from supportflow.static_files import file_response

STATIC_DIR = Path(__file__).parent / "static"
# `make install` puts npm's socket.io-client, mermaid and chart.js here (gitignored): third-party
# libraries are installed from their registry, never committed. Missing, the pages say so
# instead of failing.
NODE_MODULES = Path(__file__).parent / "vendor" / "node_modules"
VENDOR_DIR = NODE_MODULES / "socket.io-client" / "dist"
SOCKET_IO_CLIENT = "socket.io.min.js"
MERMAID_DIR = NODE_MODULES / "mermaid" / "dist"
MERMAID = "mermaid.min.js"
CHART_JS_DIR = NODE_MODULES / "chart.js" / "dist"
CHART_JS = "chart.umd.min.js"

# Everything the pages load comes from this server; the policy makes that a guarantee,
# not a habit (an accidental CDN link is blocked by the browser, and visible in tests).
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

blueprint = Blueprint("web", __name__)


@blueprint.get("/console")
@hide
async def console() -> Response:
    """The agent console: sign in with an agent token, work the queue, chat."""
    return await _page("console.html")


@blueprint.get("/chat")
@hide
async def chat() -> Response:
    """The customer chat page."""
    return await _page("chat.html")


@blueprint.get("/statecharts")
@hide
async def statecharts() -> Response:
    """Every state machine of the project, drawn from its live definition."""
    return await _page("statecharts.html")


@blueprint.get("/admin")
@hide
async def admin() -> Response:
    """The admin page: reports, knowledge gaps, the knowledge base and the agents."""
    return await _page("admin.html")


@blueprint.get("/web/static/<path:filename>")
@hide
async def static_file(filename: str) -> Response:
    """The pages' CSS and JavaScript (a route of our own, so the API schema can omit it)."""
    return await file_response(STATIC_DIR, filename)


@blueprint.get(f"/web/vendor/{SOCKET_IO_CLIENT}")
@hide
async def socket_io_client() -> Response:
    """The Socket.IO browser client installed by `make install` (404 when it was not)."""
    if not (VENDOR_DIR / SOCKET_IO_CLIENT).is_file():
        raise NotFound("socket.io-client is not installed: run `make install` with npm present")
    return await file_response(VENDOR_DIR, SOCKET_IO_CLIENT)


@blueprint.get(f"/web/vendor/{MERMAID}")
@hide
async def mermaid() -> Response:
    """Mermaid, which draws the statecharts in the pages, installed by `make install`."""
    if not (MERMAID_DIR / MERMAID).is_file():
        raise NotFound("mermaid is not installed: run `make install` with npm present")
    return await file_response(MERMAID_DIR, MERMAID)


@blueprint.get(f"/web/vendor/{CHART_JS}")
@hide
async def chart_js() -> Response:
    """Chart.js, which draws the admin page's charts, installed by `make install`."""
    if not (CHART_JS_DIR / CHART_JS).is_file():
        raise NotFound("chart.js is not installed: run `make install` with npm present")
    return await file_response(CHART_JS_DIR, CHART_JS)


async def _page(name: str) -> Response:
    response = await file_response(STATIC_DIR, name)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    # The pages are tiny and change with the server; always fetch them fresh.
    response.headers["Cache-Control"] = "no-cache"
    return response
