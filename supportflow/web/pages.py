"""`/console` (agents), `/chat` (customers), `/help` (the public help center), `/statecharts`,
`/admin`: static pages over the public API.

The pages hold no server-side state and no templates: everything they show comes from the
same REST and Socket.IO contract any other client uses, so they double as its live demo.
"""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response
from quart_schema import hide

from supportflow.api.context import services
from supportflow.errors import NotFound
from supportflow.static_files import file_response

STATIC_DIR = Path(__file__).parent / "static"
# `make install` puts the pages' libraries here from npm (gitignored): third-party libraries
# are installed from their registry, never committed. Missing, the pages say so (or, for
# the Markdown renderer, show messages as plain text) instead of failing.
NODE_MODULES = Path(__file__).parent / "vendor" / "node_modules"
VENDOR_DIR = NODE_MODULES / "socket.io-client" / "dist"
SOCKET_IO_CLIENT = "socket.io.min.js"
# What /web/vendor/<name> serves, from which npm package's folder, and what the page
# loses without it (the 404's message).
VENDOR_FILES: dict[str, tuple[Path, str]] = {
    SOCKET_IO_CLIENT: (VENDOR_DIR, "socket.io-client"),
    "mermaid.min.js": (NODE_MODULES / "mermaid" / "dist", "mermaid"),
    "chart.umd.min.js": (NODE_MODULES / "chart.js" / "dist", "chart.js"),
    "markdown-it.umd.min.js": (NODE_MODULES / "markdown-it" / "dist" / "browser", "markdown-it"),
    "purify.min.js": (NODE_MODULES / "dompurify" / "dist", "dompurify"),
}

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


@blueprint.get("/search")
@hide
async def search() -> Response:
    """Transcript search for the admin or an agent (the console has the same panel)."""
    return await _page("search.html")


@blueprint.get("/web/static/<path:filename>")
@hide
async def static_file(filename: str) -> Response:
    """The pages' CSS and JavaScript (a route of our own, so the API schema can omit it)."""
    return await file_response(STATIC_DIR, filename)


@blueprint.get("/help")
@hide
async def help_center() -> Response:
    """The public help center: the knowledge base's articles by category, and a search."""
    return await _page("help.html")


@blueprint.get("/help/<path:doc_id>")
@hide
async def help_article(doc_id: str) -> Response:
    """One help-center article; the page reads it from /api/help/articles/<id>. An id the
    knowledge base does not hold answers 404 (the page then says the article is gone)."""
    response = await _page("help-article.html")
    listed = await services().bot.knowledge.catalogue()
    if all(summary.id != doc_id for summary in listed):
        response.status_code = 404
    return response


@blueprint.get("/web/vendor/<name>")
@hide
async def vendor_file(name: str) -> Response:
    """A page library installed by `make install` from npm (404 when it was not)."""
    found = VENDOR_FILES.get(name)
    if found is None:
        raise NotFound(f"no page library {name!r}")
    folder, package = found
    if not (folder / name).is_file():
        raise NotFound(f"{package} is not installed: run `make install` with npm present")
    return await file_response(folder, name)


async def _page(name: str) -> Response:
    response = await file_response(STATIC_DIR, name)
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    # The pages are tiny and change with the server; always fetch them fresh.
    response.headers["Cache-Control"] = "no-cache"
    return response
