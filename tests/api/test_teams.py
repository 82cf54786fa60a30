"""/api/teams over real HTTP, on SQLite and PostgreSQL: admins make teams, give them topics
and members; agents read them; bad input gets a clear error and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes import FAKE_BOT
from tests.support import LiveServer, bearer, shared_server

teams_server, teams_admin = shared_server(
    "teams_server", "teams_admin", both_engines=True, parts=FAKE_BOT
)


async def new_agent(admin: httpx.AsyncClient, agent_id: str) -> dict[str, Any]:
    created = await admin.post("/api/agents", json={"agent_id": agent_id, "name": agent_id})
    assert created.status_code == 201, created.text
    agent: dict[str, Any] = created.json()
    return agent


def error_code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_admin_manages_a_team_and_its_members(
    teams_admin: httpx.AsyncClient, uid: str
) -> None:
    ann, bo = await new_agent(teams_admin, f"ann-{uid}"), await new_agent(teams_admin, f"bo-{uid}")
    created = await teams_admin.post(
        "/api/teams",
        json={
            "team_id": f"billing-{uid}",
            "name": f"Billing {uid}",
            "categories": ["billing", "plans", "billing"],
            "reasons": ["sensitive_topic"],
            "agent_ids": [ann["agent_id"]],
        },
    )
    assert created.status_code == 201, created.text
    team = created.json()
    assert (team["categories"], team["reasons"], team["agent_ids"]) == (
        ["billing", "plans"],
        ["sensitive_topic"],
        [ann["agent_id"]],
    )
    assert (await teams_admin.get(f"/api/teams/{team['team_id']}")).json() == team
    listed = (await teams_admin.get("/api/teams")).json()["teams"]
    assert team in listed

    # An agent may be in several teams.
    other = await teams_admin.post(
        "/api/teams", json={"name": f"Tech {uid}", "agent_ids": [ann["agent_id"]]}
    )
    assert other.status_code == 201 and other.json()["team_id"].startswith("team-")

    added = await teams_admin.put(f"/api/teams/{team['team_id']}/members/{bo['agent_id']}")
    again = await teams_admin.put(f"/api/teams/{team['team_id']}/members/{bo['agent_id']}")
    assert (
        added.json()["agent_ids"]
        == again.json()["agent_ids"]
        == sorted([ann["agent_id"], bo["agent_id"]])
    )
    removed = await teams_admin.delete(f"/api/teams/{team['team_id']}/members/{ann['agent_id']}")
    assert removed.json()["agent_ids"] == [bo["agent_id"]]

    patched = await teams_admin.patch(
        f"/api/teams/{team['team_id']}", json={"name": f"Billing and plans {uid}", "reasons": []}
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["name"], patched.json()["reasons"], patched.json()["categories"]) == (
        f"Billing and plans {uid}",
        [],
        ["billing", "plans"],
    )

    deleted = await teams_admin.delete(f"/api/teams/{team['team_id']}")
    assert deleted.json() == {"team_id": team["team_id"], "deleted": True}
    assert error_code(await teams_admin.get(f"/api/teams/{team['team_id']}")) == (
        404,
        "team_not_found",
    )


async def test_bad_input_is_refused_and_changes_nothing(
    teams_admin: httpx.AsyncClient, uid: str
) -> None:
    ann = await new_agent(teams_admin, f"ann-{uid}")
    first = await teams_admin.post("/api/teams", json={"team_id": f"t-{uid}", "name": f"T {uid}"})
    assert first.status_code == 201
    before = (await teams_admin.get("/api/teams")).json()
    refusals = [
        ({"name": f"T {uid}"}, (409, "team_exists")),  # the name is taken
        ({"team_id": f"t-{uid}", "name": f"U {uid}"}, (409, "team_exists")),
        (
            {"name": f"V {uid}", "agent_ids": [ann["agent_id"], f"ghost-{uid}"]},
            (404, "agent_not_found"),
        ),
        ({"name": ""}, (400, "invalid_input")),
        ({"name": f"W {uid}", "categories": ["Billing!"]}, (400, "invalid_input")),
        ({"name": f"W {uid}", "reasons": "sensitive_topic"}, (400, "invalid_input")),
        ({"name": f"W {uid}", "colour": "red"}, (400, "invalid_input")),
    ]
    for body, expected in refusals:
        assert error_code(await teams_admin.post("/api/teams", json=body)) == expected, body
    assert (await teams_admin.get("/api/teams")).json() == before

    team_url = f"/api/teams/t-{uid}"
    assert error_code(await teams_admin.put(f"{team_url}/members/ghost-{uid}")) == (
        404,
        "agent_not_found",
    )
    assert error_code(await teams_admin.delete(f"{team_url}/members/{ann['agent_id']}")) == (
        404,
        "member_not_found",
    )
    assert error_code(await teams_admin.put(f"/api/teams/ghost-{uid}/members/x")) == (
        404,
        "team_not_found",
    )
    other = await teams_admin.post("/api/teams", json={"name": f"Other {uid}"})
    assert error_code(await teams_admin.patch(team_url, json={"name": other.json()["name"]})) == (
        409,
        "team_exists",
    )
    assert (await teams_admin.get(team_url)).json()["name"] == f"T {uid}"


async def test_agents_read_teams_but_only_admins_change_them(
    teams_server: LiveServer, teams_admin: httpx.AsyncClient, uid: str
) -> None:
    agent = await new_agent(teams_admin, f"ann-{uid}")
    await teams_admin.post("/api/teams", json={"team_id": f"t-{uid}", "name": f"T {uid}"})
    async with httpx.AsyncClient(
        base_url=teams_server.url, headers=bearer(agent["token"])
    ) as client:
        assert (await client.get(f"/api/teams/t-{uid}")).status_code == 200
        assert (await client.get("/api/teams")).status_code == 200
        for response in (
            await client.post("/api/teams", json={"name": f"Mine {uid}"}),
            await client.patch(f"/api/teams/t-{uid}", json={"name": "x"}),
            await client.put(f"/api/teams/t-{uid}/members/{agent['agent_id']}"),
            await client.delete(f"/api/teams/t-{uid}"),
        ):
            assert response.status_code == 403, response.text
    async with httpx.AsyncClient(base_url=teams_server.url) as anonymous:
        assert (await anonymous.get("/api/teams")).status_code == 401
