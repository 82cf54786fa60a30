"""The console's room tools in a real browser: context on claim, private notes, transfer,
and canned replies typed as "/shortcut"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import claim, module_loop, needs_browser, queue_item, sign_in
from tests.realtime.clients import ChatClient, new_agent, new_customer
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

pytestmark = [needs_browser, module_loop]


async def _agent_page(
    new_context: NewContext, demo_server: LiveServer, admin: httpx.AsyncClient, name: str
) -> tuple[Page, dict[str, str]]:
    agent_socket, agent = await new_agent(admin, name)
    await agent_socket.close()
    page = await (await new_context()).new_page()
    await sign_in(page, demo_server.url, agent["token"])
    return page, agent


async def _claimed(
    page: Page, demo_server: LiveServer, user_id: str
) -> tuple[ChatClient, dict[str, str], Locator]:
    """A customer who asked the bot a question, then for a person; the page claims it."""

    customer, session = await new_customer(demo_server.url, user_id)
    room_id = session["room_id"]
    await customer.ok("send_message", {"room_id": room_id, "message": "How do I set up voicemail?"})
    await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
    ack = await customer.call("escalate", {"room_id": room_id})
    assert ack["ok"] or ack["error"]["code"] == "invalid_transition", ack
    await customer.wait_for("room_state", lambda s: s["state"] == "escalating")
    room = await claim(page, queue_item(page, room_id))
    return customer, session, room


async def test_claim_shows_the_context_and_notes_stay_with_agents(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    page, _ = await _agent_page(new_context, demo_server, demo_admin, f"cora-{uid}")
    customer, session, room = await _claimed(page, demo_server, f"vic-{uid}")
    try:
        context = room.get_by_test_id("room-context")
        await expect(context).to_be_visible()
        await expect(context.get_by_test_id("context-reasons")).to_contain_text("human requested")
        transcript = (
            await demo_admin.get(f"/api/sessions/{session['session_id']}/messages")
        ).json()["messages"]
        used = {
            s["title"]
            for m in transcript
            if m["sender_type"] == "bot"
            for s in m["metadata"]["sources"]
        }
        assert used, "the demo knowledge base answers voicemail questions with sources"
        for title in used:
            await expect(context.get_by_test_id("context-articles")).to_contain_text(title)
        await expect(room.get_by_test_id("user-message").first).to_contain_text("voicemail")
        await expect(room.get_by_test_id("bot-message").first).to_be_visible()

        await room.get_by_test_id("note-input").fill("Called twice about this already")
        await room.get_by_test_id("note-button").click()
        await expect(room.get_by_test_id("note-message")).to_contain_text("Called twice")
        await room.get_by_test_id("message-input").fill("Let me help you with voicemail.")
        await room.get_by_test_id("send-button").click()
        await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")
        assert all("Called twice" not in m["message"] for m in customer.received("new_message"))
    finally:
        await customer.close()


async def test_transfer_picker_hands_the_chat_to_another_agent(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    first, _ = await _agent_page(new_context, demo_server, demo_admin, f"dana-{uid}")
    second, bo = await _agent_page(new_context, demo_server, demo_admin, f"eli-{uid}")
    customer, _, room = await _claimed(first, demo_server, f"wes-{uid}")
    try:
        await room.get_by_test_id("transfer-button").click()
        select = room.get_by_test_id("transfer-select")
        # The picker lists agents from two REST calls to a server the other browser tests
        # share: on a loaded CI machine they once took longer than the default 5 s.
        await expect(select.locator(f'option[value="{bo["agent_id"]}"]')).to_have_count(
            1, timeout=30_000
        )
        await select.select_option(bo["agent_id"])
        await room.get_by_test_id("transfer-confirm").click()
        await expect(room.get_by_test_id("room-state")).to_contain_text(bo["name"])
        await expect(room.get_by_test_id("message-input")).to_be_disabled()

        theirs = second.locator(".room:not([hidden])")
        await expect(theirs.get_by_test_id("room-state")).to_have_attribute(
            "data-state", "agent_assigned"
        )
        await expect(theirs.get_by_test_id("message-input")).to_be_enabled()
        await expect(theirs.get_by_test_id("room-context")).to_contain_text("human requested")
        await expect(theirs.get_by_test_id("user-message").first).to_contain_text("voicemail")
        await theirs.get_by_test_id("message-input").fill("Eli here, I'll take it from here.")
        await theirs.get_by_test_id("send-button").click()
        said = await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")
        assert said["sender_id"] == bo["agent_id"]

        # Reloaded, the receiving agent's console reopens the chat it now holds.
        await second.reload()
        reopened = second.locator(".room:not([hidden])")
        await expect(reopened.get_by_test_id("message-input")).to_be_enabled()
        await expect(reopened.get_by_test_id("agent-message").last).to_contain_text("Eli here")
    finally:
        await customer.close()


async def test_slash_offers_canned_replies_filled_in_for_the_room(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    shortcut = f"hi{uid}"
    created = await demo_admin.post(
        "/api/canned-replies",
        json={
            "shortcut": shortcut,
            "title": "Greeting",
            "text": "Hi {customer_name}, happy to help!",
        },
    )
    assert created.status_code == 201, created.text
    page, _ = await _agent_page(new_context, demo_server, demo_admin, f"fay-{uid}")
    customer, _, room = await _claimed(page, demo_server, f"xia-{uid}")
    try:
        box = room.get_by_test_id("message-input")
        await box.press_sequentially(f"/{shortcut[:4]}")
        option = room.locator(f'[data-testid="canned-option"][data-shortcut="{shortcut}"]')
        await expect(option).to_be_visible()
        await option.click()
        value = await box.input_value()
        assert value.startswith("Hi ") and value.endswith(", happy to help!") and "{" not in value
    finally:
        await customer.close()
