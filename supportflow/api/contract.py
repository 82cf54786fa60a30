"""The OpenAPI document as a contract: every answer a route can give, and who needs no token.

quart-schema documents what the routes' models say: bodies, query strings and their
success answers. This provider adds what every route shares and the models cannot say:
the error shape (`Error`) under each status a route may answer with, the success answer
of routes that return text (the statecharts), and `security: []` on the routes anyone
may call. The rules are by route shape (a body, path parameters, a token), kept here in
one place so a new route is documented the moment it is registered.
"""

from __future__ import annotations

from typing import Any

from quart_schema import OpenAPIProvider

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                "message": {"type": "string"},
            },
        }
    },
}

# Routes anyone may call, without a token (method, OpenAPI path).
OPEN_ROUTES = {
    ("get", "/api/health"),
    ("post", "/api/sessions"),
    ("get", "/api/statecharts"),
    ("get", "/api/statecharts/room"),
    ("get", "/api/statecharts/{name}"),
    # The widget's, called from any website: the site's origins and user_hash decide.
    ("get", "/api/sites/{site_id}/widget"),
    ("post", "/api/sites/{site_id}/identify"),
    ("post", "/api/sites/{site_id}/sessions"),
    # The help center (api/help.py): public and read-only, bar its votes.
    ("get", "/api/help/articles"),
    ("get", "/api/help/articles/{doc_id}"),
    ("get", "/api/help/search"),
    ("post", "/api/help/feedback/{doc_id}"),
}
# Open routes that still refuse some callers (an origin a site does not allow, a wrong
# user_hash) and count requests per address.
_REFUSING_OPEN_ROUTES = ("/api/sites/",)
# Open routes with an allowance per client address besides the POSTs (api/rate_limits.py).
_LIMITED_READS = {("get", "/api/help/search")}
# Routes that answer with a 503 when the knowledge side or the database is down.
_NEEDS_KNOWLEDGE = (
    "/api/health",
    "/api/ask",
    "/api/ingest",
    "/api/knowledge",
    "/api/reports",
    "/api/help",
    "/api/learned-examples",
)
# ...and routes under a session that search the knowledge base (agent assist), which is
# also a read that answers 409 for a room in the wrong state (not claimed).
_NEEDS_KNOWLEDGE_SUFFIXES = ("/assist",)
_READS_NEEDING_A_STATE = _NEEDS_KNOWLEDGE_SUFFIXES
_MERMAID = "text/vnd.mermaid"

_MEANING = {
    400: "invalid input: malformed JSON, wrong types, values outside the stated limits",
    401: "no valid bearer token",
    403: "this token may not do that",
    404: "no such resource (the error code says which)",
    409: "conflicts with the current state (duplicates, room states, claims)",
    413: "the body, a document or a batch is too large",
    415: "the body is not of a supported media type",
    429: "rate limited, or too many wrong tokens from this address",
    503: "a dependency is down",
}


def error_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation may answer with, by its shape."""
    statuses = {400}  # any request may be malformed: a bad body, query, or header
    open_route = (method, path) in OPEN_ROUTES
    if not open_route:
        statuses |= {401, 403, 429}
    if "{" in path or not open_route or "requestBody" in operation:
        statuses.add(404)  # ids in the path or the body may name nothing
    if open_route and path.startswith(_REFUSING_OPEN_ROUTES):
        statuses |= {403, 429}
    if method in {"post", "put", "patch", "delete"}:
        statuses |= {409, 413, 415, 429}
    if (method == "post" and path == "/api/sessions") or (method, path) in _LIMITED_READS:
        statuses.add(429)
    if path.endswith(_READS_NEEDING_A_STATE):
        statuses.add(409)
    if path.startswith(_NEEDS_KNOWLEDGE) or path.endswith(_NEEDS_KNOWLEDGE_SUFFIXES):
        statuses.add(503)
    return sorted(statuses)


def add_contract(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with the error answers, text answers and open routes filled in."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    error_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in {"get", "post", "put", "delete", "patch"}:
                continue
            if "requestBody" in operation:
                # Every body a route documents is one it needs (an empty POST is a 400).
                operation["requestBody"]["required"] = True
            responses = operation.setdefault("responses", {})
            if not any(str(code).startswith("2") for code in responses):
                responses[200] = {
                    "description": "the statechart as Mermaid text",
                    "content": {_MERMAID: {"schema": {"type": "string"}}},
                }
            for status in error_statuses(method, path, operation):
                # quart-schema keys responses by int; one key type keeps them sortable.
                if status not in responses and str(status) not in responses:
                    responses[status] = {"description": _MEANING[status], "content": error_ref}
            if (method, path) in OPEN_ROUTES:
                operation["security"] = []
    return document


class ContractProvider(OpenAPIProvider):
    """quart-schema's provider, with `add_contract` applied to what it generates."""

    def schema(self) -> dict[str, Any]:
        return add_contract(super().schema())
