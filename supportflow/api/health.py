"""Liveness and readiness: what works, what does not."""

from __future__ import annotations

import logging
from typing import Any

from quart import Blueprint
from quart_schema import validate_response

from supportflow import __version__
from supportflow.api.context import bearer_token, services
from supportflow.api.models import Health

log = logging.getLogger(__name__)

blueprint = Blueprint("health", __name__, url_prefix="/api")


@blueprint.get("/health")
@validate_response(Health, 200)
@validate_response(Health, 503)
async def health() -> tuple[Health, int]:
    """200 when every component works, 503 (same body) when one does not. No token needed.

    Anyone sees each component's status; only the admin token sees the details (model,
    provider, passage count, schema version, fallback counts, errors): they tell an
    attacker what runs and how big the knowledge base is.
    """
    components: dict[str, dict[str, Any]] = {"database": await _database_status()}
    cluster = services().cluster
    if cluster is not None:
        # Redis down: rooms cannot be placed, so this node cannot serve commands.
        components["cluster"] = await cluster.ping()
    components.update(await services().bot.health())
    healthy = all(part.get("status") == "ok" for part in components.values())
    if not services().authenticator.is_admin(bearer_token()):
        components = {name: {"status": part.get("status")} for name, part in components.items()}
    body = Health(
        status="ok" if healthy else "degraded", version=__version__, components=components
    )
    return body, 200 if healthy else 503


async def _database_status() -> dict[str, Any]:
    store = services().store
    try:
        await store.ping()
        version = await store.schema_version()
        return {"status": "ok", "engine": store.dialect, "schema_version": version}
    except Exception as error:  # health must describe any failure, not raise it
        log.warning("database health check failed", extra={"error": repr(error)})
        return {"status": "error", "error": type(error).__name__}
