"""When the server drops a page's socket (`disconnect_reason {code, message}`: the token died),
the page says why, for good, instead of "reconnecting" forever; and a closed chat's page
sends nothing that would get its socket dropped before the customer has rated it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import ask_in_chat, module_loop, needs_browser, sign_in
from tests.realtime.clients import new_agent
from tests.support import LiveServer

pytestmark = [needs_browser, module_loop]

TOKEN_TTL_SECONDS = 5.0


async def test_the_console_says_so_when_an_admin_disables_the_agent(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    agent_socket, agent = await new_agent(demo_admin, f"dora-{uid}")
    await agent_socket.close()
    page = await (await new_context()).new_page()
    await sign_in(page, demo_server.url, agent["token"])

    disabled = await demo_admin.post(f"/api/agents/{agent['agent_id']}/disable")
    assert disabled.status_code == 200, disabled.text

    await expect(page.locator("#sign-in-error")).to_contain_text("disabled by an administrator")
    await expect(page.locator("#sign-in")).to_be_visible()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "idle")
    await expect(page.locator("#connection")).not_to_contain_text("reconnecting")


async def test_chat_says_the_chat_expired_when_the_customer_token_runs_out(
    start_server: Callable[..., LiveServer], new_context: NewContext
) -> None:
    from playwright.async_api import expect

    server = start_server(user_token_ttl_seconds=TOKEN_TTL_SECONDS)
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = await http.post("/api/sessions", json={})
    born = time.monotonic()
    assert created.status_code == 201, created.text
    stored = {key: created.json()[key] for key in ("session_id", "room_id", "token", "user_id")}
    context = await new_context()
    # As if this visitor had started the chat earlier: the page resumes it from localStorage.
    await context.add_init_script(
        f"localStorage.setItem('supportflow.chat.session', {json.dumps(json.dumps(stored))})"
    )
    page = await context.new_page()
    await page.goto(f"{server.url}/chat")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "online")

    await asyncio.sleep(max(0.0, TOKEN_TTL_SECONDS + 0.5 - (time.monotonic() - born)))
    # The open socket learns of the expiry on its next event: the customer starts typing.
    await page.get_by_test_id("message-input").press_sequentially("still there?")

    ended = page.get_by_test_id("chat-ended")
    await expect(ended).to_be_visible()
    await expect(ended).to_contain_text("This chat has expired")
    await expect(ended).to_have_attribute("data-code", "token_expired")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "ended")
    await expect(page.get_by_test_id("new-chat-button")).to_be_visible()
    await expect(page.get_by_test_id("message-input")).to_be_disabled()
    assert await page.evaluate("localStorage.getItem('supportflow.chat.session')") is None

    # A new chat starts clean, without the notice.
    await page.get_by_test_id("new-chat-button").click()
    await expect(ended).to_be_hidden()
    await expect(page.get_by_test_id("message-input")).to_be_enabled()


async def test_a_customer_typing_as_the_chat_closes_can_still_rate_it(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await ask_in_chat(page, demo_server.url, "How do I reset my voicemail PIN?")
    await expect(page.get_by_test_id("bot-message").first).to_be_visible(timeout=60_000)

    # Typing sends `typing`; its "stopped typing" follows 2.5 s later, by then into a
    # closed room, where every event but `rate` gets the socket dropped.
    await page.get_by_test_id("message-input").press_sequentially("one more th")
    await page.get_by_test_id("close-button").click()
    form = page.get_by_test_id("csat-form")
    await expect(form).to_be_visible()
    await page.wait_for_timeout(3500)

    await form.get_by_test_id("csat-score-5").check(force=True)
    await form.get_by_test_id("csat-submit").click()
    await expect(page.get_by_test_id("feedback-thanks")).to_contain_text("Thank you")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "online")
    await expect(page.get_by_test_id("chat-ended")).to_be_hidden()
