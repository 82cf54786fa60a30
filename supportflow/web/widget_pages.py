"""`/widget.js`, the script a website pastes, and `/widget/frame`, the chat it opens.

The script runs in the host page and draws only the launcher; the chat itself is the frame,
a page of this server that the host page's scripts and styles cannot reach. The frame may be
shown only inside the one origin it was opened for, and only if the site allows that origin
(`frame-ancestors`); its URL names both, and anything else is refused here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, StringConstraints
from quart import Blueprint, Response
from quart_schema import hide, validate_querystring

from supportflow.api.context import services
from supportflow.errors import Forbidden, InvalidInput
from supportflow.sites import normalize_origin
from supportflow.static_files import file_response
from supportflow.web.pages import PAGE_POLICY, STATIC_DIR

blueprint = Blueprint("widget_pages", __name__)


class FrameQuery(BaseModel):
    site: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    origin: Annotated[str, StringConstraints(min_length=1, max_length=300)]


@blueprint.get("/widget.js")
@hide
async def widget_script() -> Response:
    """The snippet's script: installs the launcher and opens the chat frame on demand."""
    response = await file_response(STATIC_DIR, "widget.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@blueprint.get("/widget/frame")
@hide
@validate_querystring(FrameQuery)
async def widget_frame(query_args: FrameQuery) -> Response:
    """The chat, framed by a page of `origin` for `site` (which must allow that origin)."""
    site = await services().store.get_site(query_args.site)
    try:
        origin = normalize_origin(query_args.origin)
    except ValueError as error:
        raise InvalidInput(f"origin: {error}") from None
    if origin not in site.allowed_origins:
        raise Forbidden(
            f"site {site.site_id!r} does not allow pages of {origin!r}", "origin_not_allowed"
        )
    response = await file_response(STATIC_DIR, "widget-frame.html")
    # The one origin that asked: a page of another allowed origin gets a frame of its own.
    response.headers["Content-Security-Policy"] = PAGE_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors {origin}"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response
