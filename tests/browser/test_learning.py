"""Learning from hand-offs in a real browser: the agent's one-click "Which article answered
this?" in a claimed chat (the bot's articles, and a search), then the admin's list of
learned examples: who confirmed each, edited in place, removed."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import (
    accessibility_violations,
    claim,
    escalated_customer,
    module_loop,
    needs_browser,
    queue_item,
    sign_in,
)
from tests.browser.test_admin import admin_page
from tests.realtime.clients import new_agent
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Locator

pytestmark = [needs_browser, module_loop]

ARTICLE = "calls-international-calling-from-the-us"
QUESTION = "my mom in Toronto keeps getting charged when she calls me"


async def examples_of(admin: httpx.AsyncClient, session_id: str) -> list[dict[str, Any]]:
    listed = (await admin.get("/api/learned-examples")).json()["examples"]
    return [example for example in listed if example["session_id"] == session_id]


async def test_the_agent_picks_the_article_and_the_admin_edits_and_removes_it(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    agent_socket, agent = await new_agent(demo_admin, f"lena-{uid}")
    await agent_socket.close()
    page = await (await new_context(bypass_csp=True)).new_page()
    await sign_in(page, demo_server.url, agent["token"])
    customer, session = await escalated_customer(demo_server.url, f"tom-{uid}", QUESTION)
    try:
        room = await claim(page, queue_item(page, session["room_id"]))
        pick = room.get_by_test_id("article-pick")
        await expect(pick).to_be_visible()
        await expect(pick).to_contain_text("Which article answered this?")

        # One click on an article the bot considered.
        offered = pick.get_by_test_id("pick-considered").locator(f'[data-article-id="{ARTICLE}"]')
        await expect(offered).to_have_attribute("aria-pressed", "false")
        await offered.click()
        await expect(offered).to_have_attribute("aria-pressed", "true")
        await expect(pick.get_by_test_id("pick-status")).to_contain_text(
            "Calling and texting other countries"
        )
        (example,) = await examples_of(demo_admin, session["session_id"])
        assert (example["article_id"], example["text"], example["origin"]) == (
            ARTICLE,
            QUESTION,
            "pick",
        )
        assert example["confirmed_by"] == agent["agent_id"]

        # Any other article, found by searching the help center.
        await pick.get_by_test_id("pick-search").fill("roaming abroad travel pass")
        found: Locator = pick.get_by_test_id("pick-results").get_by_test_id("pick-article")
        await expect(found.first).to_be_visible()
        chosen = await found.first.get_attribute("data-article-id")
        assert chosen and chosen != ARTICLE
        await found.first.click()
        await expect(found.first).to_have_attribute("aria-pressed", "true")
        picked = {e["article_id"] for e in await examples_of(demo_admin, session["session_id"])}
        assert picked == {ARTICLE, chosen}
        assert await accessibility_violations(page) == []
    finally:
        await customer.close()

    admin = await admin_page(new_context, demo_server.url)
    row = admin.locator(f'[data-testid="learned-row"][data-example-id="{example["example_id"]}"]')
    await expect(row).to_be_visible()
    await expect(row.get_by_test_id("learned-text")).to_have_text(QUESTION)
    await expect(row.get_by_test_id("learned-who")).to_contain_text(agent["name"])
    await expect(row.get_by_test_id("learned-article")).to_contain_text(ARTICLE)

    await row.get_by_test_id("learned-edit").click()
    await row.get_by_test_id("learned-text-input").fill("my mother in Canada pays for her calls")
    await row.get_by_test_id("learned-save").click()
    await expect(row.get_by_test_id("learned-text")).to_have_text(
        "my mother in Canada pays for her calls"
    )
    await expect(row.get_by_test_id("learned-who")).to_contain_text("admin")
    edited = (await demo_admin.get(f"/api/learned-examples/{example['example_id']}")).json()
    assert edited["text"] == "my mother in Canada pays for her calls"

    await row.get_by_test_id("learned-delete").click()  # the confirm dialog is accepted
    await expect(row).to_have_count(0)
    for _ in range(50):
        gone = await demo_admin.get(f"/api/learned-examples/{example['example_id']}")
        if gone.status_code == 404:
            break
        await asyncio.sleep(0.1)
    assert gone.status_code == 404
    for other in await examples_of(demo_admin, session["session_id"]):
        await demo_admin.delete(f"/api/learned-examples/{other['example_id']}")
