"""The admin page's Teams section in a real browser: add a team with its topics, put an
agent in it and take it out, delete it; the report's chart by team is drawn."""

from __future__ import annotations

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import module_loop, needs_browser
from tests.browser.test_admin import admin_page
from tests.support import LiveServer

pytestmark = [needs_browser, module_loop]


async def test_admin_manages_teams_and_sees_the_chart_by_team(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    created = await demo_admin.post("/api/agents", json={"agent_id": f"ann-{uid}", "name": "Ann"})
    assert created.status_code == 201
    page = await admin_page(new_context, demo_server.url)
    await expect(page.get_by_test_id("chart-teams")).to_have_attribute("data-drawn", "true")

    # Topics of this test's own: no other browser test's chat is routed to this team.
    await page.get_by_test_id("team-name").fill(f"Billing {uid}")
    await page.get_by_test_id("team-categories").fill(f"Bill-{uid}, plans-{uid}")
    await page.get_by_test_id("team-reasons").fill(f"dispute-{uid}")
    await page.get_by_test_id("team-create").click()
    row = page.get_by_test_id("team-row").filter(has_text=f"Billing {uid}")
    await expect(row).to_contain_text(f"categories: bill-{uid}, plans-{uid}")
    await expect(row).to_contain_text(f"reasons: dispute-{uid}")
    team_id = await row.get_attribute("data-team-id")
    assert team_id

    await row.get_by_test_id("team-member-select").select_option(f"ann-{uid}")
    await row.get_by_test_id("team-member-add").click()
    member = row.locator(f'[data-testid="team-member"][data-agent-id="ann-{uid}"]')
    await expect(member).to_have_text("Ann remove")
    stored = (await demo_admin.get(f"/api/teams/{team_id}")).json()
    assert stored["agent_ids"] == [f"ann-{uid}"]
    assert stored["categories"] == [f"bill-{uid}", f"plans-{uid}"]

    await member.get_by_role("button").click()
    await expect(member).to_have_count(0)
    assert (await demo_admin.get(f"/api/teams/{team_id}")).json()["agent_ids"] == []

    await row.get_by_test_id("team-delete").click()
    await expect(row).to_have_count(0)
    assert (await demo_admin.get(f"/api/teams/{team_id}")).status_code == 404
