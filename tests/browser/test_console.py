"""The agent console in a real browser: sign in, a live queue, claim, talk, hand back."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import (
    escalated_customer,
    module_loop,
    needs_browser,
    queue_item,
    sign_in,
)
from tests.realtime.clients import new_agent
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = [needs_browser, module_loop]


async def _agent_page(new_context: NewContext, url: str, token: str) -> Page:
    page = await (await new_context()).new_page()
    await sign_in(page, url, token)
    return page


async def test_agent_claims_a_live_escalation_and_talks_to_the_customer(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    agent_socket, agent = await new_agent(demo_admin, f"ann-{uid}")
    await agent_socket.close()
    page = await _agent_page(new_context, demo_server.url, agent["token"])
    await expect(page.get_by_test_id("availability-toggle")).to_be_checked()
    await expect(page.locator("#me-name")).to_have_text(agent["name"])

    # The escalation happens after sign-in: it must arrive live, not from the first load.
    customer, session = await escalated_customer(
        demo_server.url, f"cara-{uid}", "My phone is not working, I want to talk to a person"
    )
    room_id = session["room_id"]
    item = queue_item(page, room_id)
    await expect(item).to_be_visible()
    await expect(item).to_contain_text(f"cara-{uid}")
    pending = (await demo_admin.get("/api/escalations", params={"status": "pending"})).json()
    [escalation] = [e for e in pending["escalations"] if e["room_id"] == room_id]
    for reason in escalation["reasons"]:
        await expect(item.locator(".chip")).to_contain_text([reason.replace("_", " ")])
    await expect(item.locator(".preview")).to_contain_text("I want to talk to a person")

    await item.get_by_test_id("claim-button").click()
    await expect(item).to_have_count(0)
    room = page.locator(".room:not([hidden])")
    await expect(room.get_by_test_id("room-state")).to_have_attribute(
        "data-state", "agent_assigned"
    )
    await expect(room.get_by_test_id("transcript")).to_contain_text("I want to talk to a person")
    await customer.wait_for("agent_joined", lambda e: e["agent_id"] == agent["agent_id"])

    await room.get_by_test_id("message-input").fill("Hi Cara, Ann here. Let me check your line.")
    await room.get_by_test_id("send-button").click()
    reply = await customer.wait_for("new_message", lambda m: m["sender_type"] == "agent")
    assert reply["message"] == "Hi Cara, Ann here. Let me check your line."
    assert reply["sender_id"] == agent["agent_id"]
    await expect(room.get_by_test_id("agent-message")).to_contain_text("Ann here")

    # The customer's answer shows up live in the agent's transcript.
    await customer.ok("send_message", {"room_id": room_id, "message": "Thanks, it is my SIM"})
    await expect(room.get_by_test_id("user-message").last).to_contain_text("it is my SIM")

    # The statechart is a click away, with the current state highlighted by the server.
    await room.get_by_role("button", name="Statechart").click()
    await expect(room.locator(".statechart")).to_contain_text("stateDiagram-v2")

    await room.get_by_test_id("release-button").click()
    await expect(room.get_by_test_id("room-state")).to_have_attribute("data-state", "bot_active")
    await customer.wait_for("room_state", lambda s: s["state"] == "bot_active")
    await expect(room.get_by_test_id("message-input")).to_be_disabled()
    await customer.close()


async def test_a_claim_removes_the_item_from_another_agent_s_queue(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    tokens = []
    for name in (f"bo-{uid}", f"cy-{uid}"):
        agent_socket, agent = await new_agent(demo_admin, name)
        await agent_socket.close()
        tokens.append(agent["token"])
    first = await _agent_page(new_context, demo_server.url, tokens[0])
    second = await _agent_page(new_context, demo_server.url, tokens[1])

    customer, session = await escalated_customer(demo_server.url, f"dee-{uid}", "hello")
    for page in (first, second):
        await expect(queue_item(page, session["room_id"])).to_be_visible()

    await queue_item(first, session["room_id"]).get_by_test_id("claim-button").click()
    await expect(
        first.locator(".room:not([hidden])").get_by_test_id("room-state")
    ).to_have_attribute("data-state", "agent_assigned")
    await expect(queue_item(second, session["room_id"])).to_have_count(0)
    await customer.close()


async def test_a_bad_token_is_refused_and_sign_out_forgets_the_token(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await page.goto(f"{demo_server.url}/console")
    await page.get_by_test_id("token-input").fill("sfa_not-a-token")
    await page.get_by_test_id("token-input").press("Enter")
    await expect(page.locator("#sign-in-error")).to_contain_text("not a valid agent token")

    agent_socket, agent = await new_agent(demo_admin, f"eve-{uid}", available=False)
    await agent_socket.close()
    await sign_in(page, demo_server.url, agent["token"])
    toggle = page.get_by_test_id("availability-toggle")
    await expect(toggle).not_to_be_checked()
    await toggle.check()
    await expect(page.locator("#availability-label")).to_have_text("Available")
    me = await demo_admin.get("/api/agents/available")
    assert agent["agent_id"] in {a["agent_id"] for a in me.json()["agents"]}

    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_test_id("login-button")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0
    await page.reload()
    await expect(page.get_by_test_id("token-input")).to_be_visible()
    await expect(page.locator("#connection")).to_have_text(re.compile("Signed out"))
