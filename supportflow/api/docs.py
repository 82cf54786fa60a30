"""The API docs page: Swagger UI served from the installed swagger-ui-bundle, no CDN."""

from __future__ import annotations

from pathlib import Path

from quart import Blueprint, Response
from quart_schema import hide
from swagger_ui_bundle import swagger_ui_path

from supportflow.errors import NotFound
from supportflow.static_files import file_response

ASSET_PREFIX = "/docs/assets"
_ASSETS = Path(swagger_ui_path)
_SERVED = {"swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"}

blueprint = Blueprint("docs", __name__)


@blueprint.get(f"{ASSET_PREFIX}/<name>")
@hide
async def docs_asset(name: str) -> Response:
    if name not in _SERVED:
        raise NotFound(f"no docs asset {name!r}")
    return await file_response(_ASSETS, name)


def swagger_config() -> dict[str, str]:
    """quart-schema settings that point its docs page at the local assets."""
    return {
        "QUART_SCHEMA_SWAGGER_JS_URL": f"{ASSET_PREFIX}/swagger-ui-bundle.js",
        "QUART_SCHEMA_SWAGGER_CSS_URL": f"{ASSET_PREFIX}/swagger-ui.css",
    }
