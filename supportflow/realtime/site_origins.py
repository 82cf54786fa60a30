"""A page of a widget site's origin may connect only with a token of that site's chats.

engine.io has already let the handshake's Origin through (the server's own, one configured
for the whole API, or one some site allows: `realtime/server.py`); this is the per-site
half, run once the token says who is connecting.
"""

from __future__ import annotations

from typing import Any

from supportflow.auth import Principal, Role
from supportflow.errors import Forbidden
from supportflow.services import Services


async def check_page_origin(
    services: Services, principal: Principal, environ: dict[str, Any]
) -> None:
    """Forbidden `origin_not_allowed` when a site's page connects with a token that is not
    a customer's of one of that site's chats (an agent's, the admin's, another site's)."""
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return  # not a browser page
    origin = origin.rstrip("/").lower()
    own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}".lower()
    configured = {allowed.rstrip("/").lower() for allowed in services.settings.cors_origins}
    if origin == own or origin in configured:
        return
    if principal.role is Role.USER and principal.session_id is not None:
        chat = await services.store.site_chat(principal.session_id)
        if chat is not None:
            site = await services.store.get_site(chat.site_id)
            if origin in site.allowed_origins:
                return
    raise Forbidden(f"pages of {origin[:300]!r} may not open this chat", "origin_not_allowed")
