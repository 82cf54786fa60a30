"""Markdown in messages stays inert: HTML shows as text, `javascript:` links are no links,
only links to the help center stay links; in /chat and in the console alike."""

from __future__ import annotations

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import claim, module_loop, needs_browser, queue_item, sign_in
from tests.realtime.clients import new_agent, new_customer
from tests.support import LiveServer

pytestmark = [needs_browser, module_loop]

HOSTILE = (
    "**Done.** <img src=x onerror=\"window.pwned='img'\"> "
    "<script>window.pwned='script'</script>\n\n"
    "1. [Click me](javascript:window.pwned='link')\n"
    "2. [Our article](/help/calls-voicemail-setup-and-reset)\n"
    "3. [Elsewhere](https://example.org/x)\n"
    "4. <a href=\"javascript:window.pwned='raw'\">raw link</a>"
)


async def test_html_and_javascript_links_in_a_message_render_as_inert_text(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import Page, expect

    agent_socket, agent = await new_agent(demo_admin, f"ivy-{uid}")
    await agent_socket.close()
    console = await (await new_context()).new_page()
    await sign_in(console, demo_server.url, agent["token"])
    customer, session = await new_customer(demo_server.url, f"tom-{uid}")
    room_id = session["room_id"]
    try:
        # The customer's own HTML too: a customer's message is never Markdown.
        await customer.ok("send_message", {"room_id": room_id, "message": "<b>hi</b> *there*"})
        await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
        await customer.ok("escalate", {"room_id": room_id})
        # The claim is through (the console and the customer both know) before the agent types.
        room = await claim(console, queue_item(console, room_id))
        await customer.wait_for("agent_joined", lambda e: e["agent_id"] == agent["agent_id"])
        await room.get_by_test_id("message-input").fill(HOSTILE)
        await room.get_by_test_id("send-button").click()
        # The console shows what it sent once the server took it; a refusal fails here, not
        # as a silent wait on the customer's side.
        await expect(room.get_by_test_id("agent-message")).to_have_count(1)
        await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")

        chat = await (await new_context()).new_page()
        await chat.goto(f"{demo_server.url}/chat")
        await chat.evaluate(
            "s => localStorage.setItem('supportflow.chat.session', JSON.stringify(s))",
            {key: session[key] for key in ("session_id", "room_id", "token", "user_id")},
        )
        await chat.reload()

        async def check(page: Page, mine: str) -> None:
            message = page.get_by_test_id("agent-message").last
            text = message.locator(".text")
            await expect(text.locator("strong")).to_have_text("Done.")
            await expect(text.locator("ol > li")).to_have_count(4)
            await expect(text).to_contain_text("<img src=x onerror=")
            await expect(text).to_contain_text("<script>")
            await expect(text).to_contain_text("[Click me](javascript:")
            assert await text.locator("img, script, [onerror]").count() == 0
            links = text.locator("a")
            await expect(links).to_have_count(1)
            await expect(links).to_have_attribute("href", "/help/calls-voicemail-setup-and-reset")
            await expect(text).to_contain_text("Elsewhere (https://example.org/x)")
            assert await page.evaluate("window.pwned") is None
            typed = page.get_by_test_id(mine).first.locator(".text")
            await expect(typed).to_have_text("<b>hi</b> *there*")
            assert await typed.locator("b, em").count() == 0

        await check(console, "user-message")
        await check(chat, "user-message")
    finally:
        await customer.close()
