"""The customer chat page in a real browser: bot answers, an agent's reply, reloads."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import ask_in_chat, module_loop, needs_browser
from tests.realtime.clients import new_agent
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Route

pytestmark = [needs_browser, module_loop]


async def test_the_bot_answers_with_a_cited_article(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await ask_in_chat(page, demo_server.url, "How do I reset my voicemail PIN?")

    answer = page.get_by_test_id("bot-message").first
    await expect(answer).to_be_visible(timeout=60_000)
    citation = answer.get_by_test_id("citation").first
    await expect(citation).to_contain_text("oicemail")
    await expect(answer.get_by_test_id("confidence")).to_be_visible()
    await expect(page.get_by_test_id("room-state")).to_have_attribute("data-state", "bot_active")


async def test_reload_restores_the_transcript_and_the_agent_s_reply_arrives(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    page = await (await new_context(width=375, height=740)).new_page()
    await page.goto(f"{demo_server.url}/chat")
    await page.get_by_test_id("message-input").fill("My bill looks wrong")
    await page.get_by_test_id("send-button").click()
    await expect(page.get_by_test_id("bot-message").first).to_be_visible(timeout=60_000)
    await expect(page.get_by_test_id("user-message").locator(".text")).to_have_text(
        ["My bill looks wrong"]
    )

    # A person, explicitly; if the bot already escalated, the button is disabled.
    escalate = page.get_by_test_id("escalate-button")
    if await escalate.is_enabled():
        await escalate.click()
    await expect(page.get_by_test_id("room-state")).to_have_attribute("data-state", "escalating")
    await expect(page.locator("#queue-info")).to_contain_text("in the queue")
    stored = await page.evaluate("JSON.parse(localStorage.getItem('supportflow.chat.session'))")

    agent, record = await new_agent(demo_admin, f"fay-{uid}")
    await agent.ok("join_room", {"room_id": stored["room_id"]})
    await agent.ok("claim_room", {"room_id": stored["room_id"]})
    await expect(page.locator("#agent-info")).to_contain_text(f"{record['name']} is helping you")
    await agent.ok(
        "send_message", {"room_id": stored["room_id"], "message": "Hello, I can fix that bill."}
    )
    await expect(page.get_by_test_id("agent-message")).to_contain_text("I can fix that bill")
    before = await page.get_by_test_id("transcript").locator("li.message").all_inner_texts()

    await page.reload()
    transcript = page.get_by_test_id("transcript")
    await expect(transcript.locator("li.message")).to_have_count(len(before))
    assert await transcript.locator("li.message").all_inner_texts() == before
    await expect(page.get_by_test_id("room-state")).to_have_attribute(
        "data-state", "agent_assigned"
    )

    # Still live after the reload: the next reply arrives without another reload.
    await agent.ok("send_message", {"room_id": stored["room_id"], "message": "Done: refunded."})
    await expect(page.get_by_test_id("agent-message").last).to_contain_text("Done: refunded.")
    await agent.close()


async def test_pages_say_so_when_the_socket_io_client_is_missing(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    async def missing(route: Route) -> None:
        await route.fulfill(status=404, body="not installed")

    context = await new_context()
    await context.route("**/web/vendor/socket.io.min.js", missing)
    page = await context.new_page()
    for path in ("/chat", "/console"):
        response = await page.goto(f"{demo_server.url}{path}")
        assert response is not None and response.ok
        assert "default-src 'self'" in (await response.all_headers())["content-security-policy"]
        await expect(page.locator("#library-missing")).to_be_visible()
        await expect(page.locator("#library-missing")).to_contain_text("make install")


async def test_the_installed_socket_io_client_is_served(demo_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=demo_server.url) as http:
        script = await http.get("/web/vendor/socket.io.min.js")
        style = await http.get("/web/static/style.css")
    assert script.status_code == 200
    assert "4.8." in script.text[:200]
    assert style.status_code == 200


async def test_quick_replies_answer_a_clarifying_question(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await ask_in_chat(page, demo_server.url, "internet")

    choices = page.get_by_test_id("quick-reply")
    await expect(choices.first).to_be_visible(timeout=60_000)
    title = await choices.first.inner_text()
    await choices.first.click()
    answer = page.get_by_test_id("bot-message").nth(1)
    await expect(answer.get_by_test_id("citation").first).to_have_text(title, timeout=60_000)
    await expect(page.get_by_test_id("quick-reply")).to_have_count(0)
    await expect(page.get_by_test_id("room-state")).to_have_attribute("data-state", "bot_active")


async def test_thumbs_down_hands_the_chat_over(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await ask_in_chat(page, demo_server.url, "How do I set up voicemail?")
    down = page.get_by_test_id("bot-message").first.get_by_test_id("thumb-down")
    await expect(down).to_be_visible(timeout=60_000)
    await down.click()
    await expect(down).to_have_attribute("aria-pressed", "true")
    await expect(page.get_by_test_id("room-state")).to_have_attribute("data-state", "escalating")


async def test_the_message_box_waits_for_the_page_s_code(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    """A message typed before chat.js had loaded was lost (Enter did nothing yet): the box and
    Send start disabled, and chat.js enables them."""
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.fallback()

    await page.route("**/web/static/chat.js", hold)
    await page.goto(f"{demo_server.url}/chat", wait_until="commit")
    box = page.get_by_test_id("message-input")
    await expect(box).to_be_disabled()
    await expect(page.get_by_test_id("send-button")).to_be_disabled()
    release.set()
    await expect(box).to_be_enabled()
    await box.fill("How do I reset my voicemail PIN?")
    await box.press("Enter")
    await expect(page.get_by_test_id("bot-message").first).to_be_visible(timeout=60_000)
