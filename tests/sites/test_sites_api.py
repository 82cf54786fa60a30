"""Sites over REST (admin), the widget's public routes, signed identity, and their errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from quart.typing import TestClientProtocol as QuartClient

from supportflow.settings import Settings
from supportflow.sites import sign_user_id
from tests.support import admin_headers, bearer, server_settings

SHOP = "https://shop.example.com"
OWN = "http://localhost"  # the Quart test client's host


@pytest.fixture(name="settings")
def fixture_settings(tmp_path: Path) -> Settings:
    # Many chats from one address: the per-address allowance is not what is tested here.
    return server_settings(tmp_path / "data", sessions_per_minute=1000)


async def new_site(client: QuartClient, **overrides: Any) -> dict[str, Any]:
    body = {"name": "Shop", "allowed_origins": [SHOP], **overrides}
    response = await client.post("/api/sites", json=body, headers=admin_headers())
    assert response.status_code == 201, await response.get_json()
    created: dict[str, Any] = await response.get_json()
    return created


async def error_of(response: Any) -> tuple[int, str]:
    body = await response.get_json()
    return response.status_code, body["error"]["code"]


async def test_admins_create_list_change_rotate_and_delete_sites(client: QuartClient) -> None:
    created = await new_site(
        client,
        site_id="shop",
        allowed_origins=["HTTPS://Shop.Example.com:443/", "http://127.0.0.1:8080"],
        brand_color="#FFD400",
        prechat_fields=["name", "email"],
    )
    assert created["secret"].startswith("sfs_")
    assert created["allowed_origins"] == [SHOP, "http://127.0.0.1:8080"]
    assert created["brand_color"] == "#ffd400"
    assert created["prechat_fields"] == ["name", "email"]
    assert 'data-site="shop"' in created["snippet"] and "/widget.js" in created["snippet"]

    listed = await (await client.get("/api/sites", headers=admin_headers())).get_json()
    assert [site["site_id"] for site in listed["sites"]] == ["shop"]
    assert "secret" not in listed["sites"][0]

    changed = await client.patch(
        "/api/sites/shop", json={"greeting": "Hello there"}, headers=admin_headers()
    )
    assert (await changed.get_json())["greeting"] == "Hello there"
    assert (await changed.get_json())["allowed_origins"] == [SHOP, "http://127.0.0.1:8080"]

    rotated = await (
        await client.post("/api/sites/shop/secret", headers=admin_headers())
    ).get_json()
    assert rotated["secret"] != created["secret"]
    old_hash = sign_user_id(created["secret"], "alice")
    refused = await client.post(
        "/api/sites/shop/identify", json={"user_id": "alice", "user_hash": old_hash}
    )
    assert await error_of(refused) == (403, "identity_refused")

    deleted = await client.delete("/api/sites/shop", headers=admin_headers())
    assert (await deleted.get_json()) == {"site_id": "shop", "deleted": True}
    assert await error_of(await client.get("/api/sites/shop/widget")) == (404, "site_not_found")
    assert await error_of(
        await client.post("/api/sites", json={"name": "x", "allowed_origins": [SHOP]})
    ) == (401, "unauthorized")


async def test_bad_site_settings_are_refused_with_the_field_named(client: QuartClient) -> None:
    await new_site(client, site_id="taken")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "x", "allowed_origins": []}, "allowed_origins"),
        ({"name": "x", "allowed_origins": ["https://*.example.com"]}, "allowed_origins"),
        ({"name": "x", "allowed_origins": ["https://shop.example.com/path"]}, "allowed_origins"),
        ({"name": "x", "allowed_origins": ["ftp://shop.example.com"]}, "allowed_origins"),
        ({"name": "x", "allowed_origins": ["https://a.example:99999"]}, "allowed_origins"),
        ({"name": "x", "allowed_origins": ["https://a.example:0"]}, "allowed_origins"),
        ({"name": "x", "allowed_origins": [SHOP] * 21}, "allowed_origins"),
        ({"name": "x", "allowed_origins": [SHOP], "brand_color": "blue"}, "brand_color"),
        ({"name": "x", "allowed_origins": [SHOP], "greeting": "  "}, "greeting"),
        ({"name": "x", "allowed_origins": [SHOP], "greeting": "g" * 301}, "greeting"),
        ({"name": "x", "allowed_origins": [SHOP], "launcher_position": "top"}, "launcher_position"),
        ({"name": "x", "allowed_origins": [SHOP], "prechat_fields": ["phone"]}, "prechat_fields"),
        ({"name": "x", "allowed_origins": [SHOP], "site_id": "../x"}, "site_id"),
        ({"name": "x", "allowed_origins": [SHOP], "secret": "mine"}, "secret"),
    ]
    for body, field in cases:
        response = await client.post("/api/sites", json=body, headers=admin_headers())
        status, code = await error_of(response)
        assert (status, code) == (400, "invalid_input"), body
        assert field in (await response.get_json())["error"]["message"], body
    taken = await client.post(
        "/api/sites",
        json={"site_id": "taken", "name": "x", "allowed_origins": [SHOP]},
        headers=admin_headers(),
    )
    assert await error_of(taken) == (409, "site_exists")
    for body in ({}, {"name": None}):  # nothing to change: the site as it is
        response = await client.patch("/api/sites/taken", json=body, headers=admin_headers())
        assert (await response.get_json())["name"] == "Shop", body
    bad_patch = await client.patch(
        "/api/sites/taken", json={"brand_color": "red"}, headers=admin_headers()
    )
    assert await error_of(bad_patch) == (400, "invalid_input")
    missing = await client.patch("/api/sites/nope", json={"name": "y"}, headers=admin_headers())
    assert await error_of(missing) == (404, "site_not_found")


async def test_the_widget_look_has_cors_for_allowed_origins_only(client: QuartClient) -> None:
    site = await new_site(client, brand_color="#ffd400")
    path = f"/api/sites/{site['site_id']}/widget"

    allowed = await client.get(path, headers={"Origin": SHOP})
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == SHOP
    look = await allowed.get_json()
    assert look["brand_ink"] == "#1b2330"  # dark text on yellow: white would fail contrast
    assert "secret" not in look and "allowed_origins" not in look

    other = await client.get(path, headers={"Origin": "https://evil.example"})
    assert await error_of(other) == (403, "origin_not_allowed")
    assert "Access-Control-Allow-Origin" not in other.headers
    assert (await client.get(path)).status_code == 200  # no Origin: not a browser page
    assert (await client.get(path, headers={"Origin": OWN})).status_code == 200


async def test_identity_is_proven_by_the_site_s_hmac(client: QuartClient) -> None:
    site = await new_site(client)
    sessions, identify = (
        f"/api/sites/{site['site_id']}/{route}" for route in ("sessions", "identify")
    )
    good = sign_user_id(site["secret"], "alice")

    anonymous = await client.post(sessions, json={"attributes": {"plan": "pro"}})
    assert anonymous.status_code == 201
    assert (await anonymous.get_json())["user_id"].startswith("anon-")

    nothing_open = await (
        await client.post(identify, json={"user_id": "alice", "user_hash": good})
    ).get_json()
    assert nothing_open == {"user_id": "alice", "verified": True, "session": None}

    first = await client.post(
        sessions, json={"identity": {"user_id": "alice", "user_hash": good.upper()}}
    )
    assert first.status_code == 201
    chat = await first.get_json()
    assert (chat["user_id"], chat["verified"], chat["resumed"]) == ("alice", True, False)

    # Another device: the same open chat, with a token of its own; both tokens work.
    again = await (
        await client.post(identify, json={"user_id": "alice", "user_hash": good})
    ).get_json()
    assert again["session"]["session_id"] == chat["session_id"]
    assert again["session"]["token"] != chat["token"]
    for token in (chat["token"], again["session"]["token"]):
        seen = await client.get(f"/api/sessions/{chat['session_id']}", headers=bearer(token))
        assert seen.status_code == 200
    resumed = await client.post(
        sessions, json={"identity": {"user_id": "alice", "user_hash": good}}
    )
    assert resumed.status_code == 200 and (await resumed.get_json())["resumed"] is True

    wrong = sign_user_id(site["secret"], "bob")
    for body, expected in [
        ({"user_id": "alice", "user_hash": wrong}, (403, "identity_refused")),
        ({"user_id": "alice", "user_hash": "zz" * 40}, (403, "identity_refused")),
        ({"user_id": "alice", "user_hash": "é" * 64}, (403, "identity_refused")),
        ({"user_id": "alice"}, (400, "invalid_input")),
        ({"user_id": "alice", "user_hash": ""}, (400, "invalid_input")),
        ({"user_id": "alice", "user_hash": None}, (400, "invalid_input")),
        ({"user_id": "alice", "user_hash": "a" * 129}, (400, "invalid_input")),
        ({"user_id": "a" * 65, "user_hash": good}, (400, "invalid_input")),
    ]:
        # The same identity, flat to identify, nested to start a chat.
        for route, sent in ((identify, body), (sessions, {"identity": body})):
            response = await client.post(route, json=sent)
            assert await error_of(response) == expected, (route, body)
            if expected[1] == "invalid_input":
                assert "user_" in (await response.get_json())["error"]["message"]


async def test_attributes_and_context_for_agents(client: QuartClient) -> None:
    site = await new_site(client, prechat_fields=["name", "email"])
    sessions = f"/api/sites/{site['site_id']}/sessions"
    missing = await client.post(sessions, json={"name": "Ann"})
    assert await error_of(missing) == (409, "prechat_required")
    assert "email" in (await missing.get_json())["error"]["message"]

    started = await client.post(
        sessions,
        json={"name": "Ann", "email": "ann@example.com", "attributes": {"plan": "pro", "lines": 3}},
    )
    chat = await started.get_json()
    context_path = f"/api/sessions/{chat['session_id']}/context"
    context = await (await client.get(context_path, headers=bearer(chat["token"]))).get_json()
    assert context == {
        "session_id": chat["session_id"],
        "site_id": site["site_id"],
        "site_name": "Shop",
        "verified": False,
        "name": "Ann",
        "email": "ann@example.com",
        "attributes": {"plan": "pro", "lines": 3},
    }
    changed = await client.patch(
        context_path,
        json={"attributes": {"plan": None, "vip": True}},
        headers=bearer(chat["token"]),
    )
    assert (await changed.get_json())["attributes"] == {"lines": 3, "vip": True}

    bad: list[Any] = [
        {"attributes": {"1abc": "x"}},
        {"attributes": {"plan": "x" * 201}},
        {"attributes": {"plan": {"nested": 1}}},
        {"attributes": {"plan": [1]}},
        {"attributes": {f"k{i}": i for i in range(21)}},
        {"attributes": "plan=pro"},
        {"attributes": {"nan": float("nan")}},
    ]
    for body in bad:
        response = await client.patch(context_path, json=body, headers=bearer(chat["token"]))
        assert await error_of(response) == (400, "invalid_input"), body
    many = {"attributes": {f"k{i}": i for i in range(19)}}
    response = await client.patch(context_path, json=many, headers=bearer(chat["token"]))
    assert await error_of(response) == (409, "too_many_attributes")

    plain = await (await client.post("/api/sessions", json={})).get_json()
    plain_context = f"/api/sessions/{plain['session_id']}/context"
    response = await client.patch(
        plain_context, json={"attributes": {"a": 1}}, headers=bearer(plain["token"])
    )
    assert await error_of(response) == (404, "not_a_widget_chat")
    other = await client.get(plain_context, headers=bearer(chat["token"]))
    assert await error_of(other) == (403, "not_your_room")


async def test_the_frame_is_served_only_inside_an_allowed_origin(client: QuartClient) -> None:
    site = await new_site(client)
    frame = await client.get(f"/widget/frame?site={site['site_id']}&origin={SHOP}")
    assert frame.status_code == 200
    policy = frame.headers["Content-Security-Policy"]
    assert (
        f"frame-ancestors {SHOP}" in policy and "'none'" not in policy.split("frame-ancestors")[1]
    )
    for query, expected in [
        (f"site={site['site_id']}&origin=https://evil.example", (403, "origin_not_allowed")),
        (f"site={site['site_id']}&origin=javascript:alert(1)", (400, "invalid_input")),
        (f"site=nope&origin={SHOP}", (404, "site_not_found")),
        (f"origin={SHOP}", (400, "invalid_input")),
    ]:
        assert await error_of(await client.get(f"/widget/frame?{query}")) == expected, query
    script = await client.get("/widget.js")
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
