"""Transcript search, the customer's earlier chats and agent assist, in a real browser."""

from __future__ import annotations

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
from tests.realtime.clients import claimed_room, new_agent
from tests.support import ADMIN_TOKEN, LiveServer

pytestmark = [needs_browser, module_loop]


async def test_on_claim_the_console_shows_earlier_chats_and_a_draft_it_never_sends(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    # The customer's earlier chat, handled and closed by another agent.
    old_customer, old, old_agent, _ = await claimed_room(
        demo_server.url, demo_admin, f"hana-{uid}", f"otto-{uid}"
    )
    await old_customer.ok("send_message", {"room_id": old["room_id"], "message": "SIM blocked"})
    await old_agent.ok("close_room", {"room_id": old["room_id"]})
    await old_customer.close()
    await old_agent.close()

    agent_socket, agent = await new_agent(demo_admin, f"pia-{uid}")
    await agent_socket.close()
    page = await (await new_context(bypass_csp=True)).new_page()
    await sign_in(page, demo_server.url, agent["token"])
    customer, session = await escalated_customer(
        demo_server.url, f"hana-{uid}", "How do I set up voicemail?"
    )
    try:
        room = await claim(page, queue_item(page, session["room_id"]))
        history = room.get_by_test_id("customer-history")
        await expect(history.get_by_test_id("history-item")).to_have_count(1)
        await expect(history).to_contain_text("SIM blocked")
        await expect(history).to_contain_text(f"Otto-{uid}".title())
        await history.get_by_test_id("history-open").click()
        await expect(history.get_by_test_id("history-transcript")).to_contain_text("SIM blocked")

        assist = room.get_by_test_id("assist-panel")
        await expect(assist).to_be_visible()
        await customer.ok(
            "send_message",
            {"room_id": session["room_id"], "message": "How do I turn on international roaming?"},
        )
        await expect(assist).to_contain_text("international roaming")  # the message it is for
        first = assist.get_by_test_id("assist-article").first
        await expect(first).to_contain_text("roaming", ignore_case=True)
        await expect(first.get_by_test_id("assist-passage")).not_to_be_empty()
        draft = await assist.get_by_test_id("assist-draft").inner_text()
        assert draft.strip()
        await assist.get_by_test_id("assist-use").click()
        box = room.get_by_test_id("message-input")
        await expect(box).to_have_value(draft)
        assert await accessibility_violations(page) == []
        assert customer.received("new_message", lambda m: m["sender_type"] == "agent") == []

        await box.fill(draft + "\n\nAnything else I can help with?")
        await room.get_by_test_id("send-button").click()
        sent = await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")
        assert sent["message"].endswith("Anything else I can help with?")
    finally:
        await customer.close()


async def test_search_finds_highlights_pages_and_opens_conversations(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    customer, session, agent, account = await claimed_room(
        demo_server.url, demo_admin, f"ida-{uid}", f"uma-{uid}"
    )
    word = f"modem{uid}"
    try:
        for number in range(12):
            await customer.ok(
                "send_message", {"room_id": session["room_id"], "message": f"{word} light {number}"}
            )
        await agent.ok("add_note", {"room_id": session["room_id"], "text": f"{word} replaced"})

        # The agent, in the console: their own chat, their note among the results.
        console = await (await new_context()).new_page()
        await sign_in(console, demo_server.url, account["token"])
        await console.get_by_test_id("search-toggle").click()
        await console.get_by_test_id("search-text").fill(word)
        await console.get_by_test_id("search-button").click()
        results = console.get_by_test_id("search-result")
        await expect(results).to_have_count(10)
        await expect(results.first).to_contain_text("Private note")
        await expect(results.first.locator("mark")).to_have_text(word)
        await console.get_by_test_id("search-next").click()
        await expect(console.get_by_test_id("search-page")).to_have_text("Page 2")
        await expect(results).to_have_count(3)
        await expect(console.get_by_test_id("search-next")).to_be_disabled()

        # The admin, on /search: a phrase, then the conversation opened at the hit.
        await agent.ok("close_room", {"room_id": session["room_id"]})
        page = await (await new_context(bypass_csp=True)).new_page()
        await page.goto(f"{demo_server.url}/search")
        await page.get_by_test_id("token-input").fill(ADMIN_TOKEN)
        await page.get_by_test_id("login-button").click()
        await page.get_by_test_id("search-text").fill(f'"{word} light 7"')
        await page.get_by_test_id("search-state").select_option("closed")
        await page.get_by_test_id("search-button").click()
        await expect(page.get_by_test_id("search-result")).to_have_count(1)
        marks = page.get_by_test_id("search-snippet").locator("mark")
        assert " ".join(await marks.all_inner_texts()).split() == [word, "light", "7"]
        await page.get_by_test_id("search-open").click()
        opened = page.get_by_test_id("search-transcript")
        await expect(opened.locator(".search-hit")).to_contain_text(f"{word} light 7")
        await expect(opened.get_by_test_id("note-message")).to_contain_text("replaced")
        assert await accessibility_violations(page) == []
    finally:
        await customer.close()
        await agent.close()
