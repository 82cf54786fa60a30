"""Every failure answers {"error": {"code", "message"}}: never HTML, never a bare 500."""

from __future__ import annotations

from quart.typing import TestClientProtocol as QuartClient

from tests.support import admin_headers


def assert_error(body: object, code: str) -> None:
    assert isinstance(body, dict)
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


async def test_unknown_route_is_json_404(client: QuartClient) -> None:
    response = await client.get("/api/does-not-exist")
    assert response.status_code == 404
    assert_error(await response.get_json(), "not_found")


async def test_wrong_method_is_json_405(client: QuartClient) -> None:
    response = await client.delete("/api/health")
    assert response.status_code == 405
    assert_error(await response.get_json(), "method_not_allowed")


async def test_malformed_json_is_400(client: QuartClient) -> None:
    response = await client.post(
        "/api/users",
        data="{not json",
        headers={**admin_headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert_error(await response.get_json(), "invalid_input")


async def test_wrong_types_name_the_field(client: QuartClient) -> None:
    response = await client.post("/api/users", json={"user_id": ["a"]}, headers=admin_headers())
    assert response.status_code == 400
    body = await response.get_json()
    assert_error(body, "invalid_input")
    assert "user_id" in body["error"]["message"]


async def test_oversize_body_is_413(client: QuartClient) -> None:
    too_big = '{"user_id": "' + "x" * (1024 * 1024 + 10) + '"}'
    response = await client.post(
        "/api/users",
        data=too_big,
        headers={**admin_headers(), "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert_error(await response.get_json(), "payload_too_large")


async def test_openapi_and_docs_are_served(client: QuartClient) -> None:
    spec = await (await client.get("/openapi.json")).get_json()
    for path in ("/api/users", "/api/agents", "/api/sessions", "/api/health"):
        assert path in spec["paths"], path
    docs = await client.get("/docs")
    assert docs.status_code == 200
    page = (await docs.get_data()).decode()
    # Swagger UI comes from this server, never from a CDN.
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    asset = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert asset.status_code == 200
    assert (await client.get("/docs/assets/index.html")).status_code == 404
