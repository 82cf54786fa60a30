"""`GET /metrics`: the server's Prometheus metrics in the text exposition format.

Who may read it: a bearer token, either `SUPPORTFLOW_METRICS_TOKEN` (give that one to the
Prometheus scraper: it opens nothing else) or the admin token. Metrics reveal traffic
volumes and room counts, so they are not open like `/api/health`.
"""

from __future__ import annotations

import hmac

from quart import Blueprint, Response
from quart_schema import hide

from supportflow.api.context import bearer_token, require, services
from supportflow.auth import Role
from supportflow.metrics import CONTENT_TYPE
from supportflow.rooms.machine import RoomState

blueprint = Blueprint("metrics", __name__)

_STATES = tuple(state.value for state in RoomState)


# Hidden from the OpenAPI schema: it is Prometheus text for a scraper, not the JSON API.
@blueprint.get("/metrics")
@hide
async def metrics() -> Response:
    """Prometheus text format; needs the metrics token or the admin token."""
    current = services()
    expected = current.settings.metrics_token
    token = bearer_token() or ""
    if not (expected and hmac.compare_digest(token.encode(), expected.encode())):
        await require(Role.ADMIN)
    # Gauges of the present are computed now, so a scrape never reads a stale count.
    found = current.metrics
    found.set_room_states(found.rooms, await current.store.room_counts(), _STATES)
    found.set_room_states(found.live_rooms, current.rooms.live_states(), _STATES)
    return Response(found.exposition(), status=200, content_type=CONTENT_TYPE)
