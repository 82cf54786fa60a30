"""The console's team queues in a real browser: "My teams" and "All", and a transfer to a
team's queue.

The browser tests share one server (and the real bot), so these teams take escalation
reasons of this test's own: no other test's chat is routed to them.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import claim, module_loop, needs_browser, queue_item, sign_in
from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = [needs_browser, module_loop]


async def new_team(admin: httpx.AsyncClient, name: str, **fields: Any) -> dict[str, Any]:
    created = await admin.post("/api/teams", json={"name": name, **fields})
    assert created.status_code == 201, created.text
    team: dict[str, Any] = created.json()
    return team


async def test_my_teams_and_all_queues_and_a_transfer_to_a_team(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    ann_socket, ann = await new_agent(demo_admin, f"ann-{uid}")
    bo, bo_account = await new_agent(demo_admin, f"bo-{uid}")
    await ann_socket.close()
    await new_team(
        demo_admin, f"Billing {uid}", reasons=[f"bill-{uid}"], agent_ids=[ann["agent_id"]]
    )
    retention = await new_team(demo_admin, f"Retention {uid}", agent_ids=[bo_account["agent_id"]])
    page: Page = await (await new_context()).new_page()
    await sign_in(page, demo_server.url, ann["token"])
    # In a team: the console opens on "My teams".
    await expect(page.get_by_test_id("queue-mine")).to_have_attribute("aria-pressed", "true")

    mine, mine_session = await new_customer(demo_server.url, f"cara-{uid}")
    other, other_session = await new_customer(demo_server.url, f"dan-{uid}")
    try:
        await mine.ok("escalate", {"room_id": mine_session["room_id"], "reason": f"bill-{uid}"})
        await other.ok("escalate", {"room_id": other_session["room_id"]})
        routed = queue_item(page, mine_session["room_id"])
        await expect(routed).to_be_visible()
        await expect(routed.get_by_test_id("queue-team")).to_have_text(f"Team: Billing {uid}")
        everyone = queue_item(page, other_session["room_id"])
        await expect(everyone).to_be_hidden()  # alerted, but not for Ann's teams

        await page.get_by_test_id("queue-all").click()
        await expect(page.get_by_test_id("queue-all")).to_have_attribute("aria-pressed", "true")
        await expect(everyone).to_be_visible()
        await expect(routed).to_be_visible()
        await page.get_by_test_id("queue-mine").click()
        await expect(everyone).to_be_hidden()

        # Ann claims her team's chat and sends it to the Retention team's queue.
        room = await claim(page, routed)
        await room.get_by_test_id("transfer-button").click()
        await room.get_by_test_id("transfer-select").select_option(f"team:{retention['team_id']}")
        await room.get_by_test_id("transfer-confirm").click()
        alert = await bo.wait_for(
            "escalation_alert", lambda a: a["room_id"] == mine_session["room_id"]
        )
        assert (alert["team_id"], alert["team_only"]) == (retention["team_id"], True)
        await expect(room.get_by_test_id("room-state")).to_have_attribute(
            "data-state", "escalating"
        )
        # Back in the queue under the Retention team: in "All", not in Ann's teams.
        await page.get_by_test_id("queue-all").click()
        await expect(routed.get_by_test_id("queue-team")).to_have_text(f"Team: Retention {uid}")
        await page.get_by_test_id("queue-mine").click()
        await expect(routed).to_be_hidden()
    finally:
        await asyncio.gather(mine.close(), other.close(), bo.close())
