"""Statecharts drawn in the browser: the /statecharts page and the console's Statechart button."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote

import httpx

from supportflow.rooms.machine import RoomState, Trigger
from supportflow.rooms.statechart import HIGHLIGHT_STYLE
from tests.browser.conftest import NewContext
from tests.browser.support import (
    claim,
    escalated_customer,
    module_loop,
    needs_browser,
    queue_item,
    sign_in,
)
from tests.realtime.clients import new_agent
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Locator

pytestmark = [needs_browser, module_loop]
HIGHLIGHT_FILL = re.search(r"fill:(#\w+)", HIGHLIGHT_STYLE)[1]  # type: ignore[index]


async def drawn_svg(drawing: Locator) -> str:
    """The SVG inside the <img> the page drew, after checking the browser did render it."""
    assert await drawing.evaluate("img => img.complete && img.naturalWidth > 200")
    src = await drawing.get_attribute("src")
    assert src is not None and src.startswith("data:image/svg+xml")
    return unquote(src.split(",", 1)[1])


def state_nodes(svg: str) -> dict[str, str]:
    """state name -> the class attribute of its node group in Mermaid's SVG."""
    found = re.findall(r'<g class="([^"]*)" id="(?:[^"]*-)?state-([a-z_]+)-\d+"', svg)
    return {name: classes for classes, name in found if "statediagram-state" in classes.split()}


async def test_statecharts_page_draws_the_room_machine(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await page.goto(f"{demo_server.url}/statecharts")
    card = page.locator('[data-machine="room"]')
    await expect(card.locator("h2")).to_have_text("Room lifecycle")
    drawing = card.get_by_test_id("statechart")
    await expect(drawing).to_be_visible()
    svg = await drawn_svg(drawing)
    assert set(state_nodes(svg)) == {state.value for state in RoomState}
    for trigger in Trigger:
        assert f">{trigger.value}" in svg, trigger
    assert HIGHLIGHT_FILL not in svg  # the generic machine has no current state
    await expect(page.locator("#statecharts-error")).to_be_hidden()


async def test_statecharts_page_explains_a_missing_mermaid(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import Route, expect

    context = await new_context()

    async def missing(route: Route) -> None:
        await route.fulfill(status=404, body="")

    await context.route("**/web/vendor/mermaid.min.js", missing)
    page = await context.new_page()
    await page.goto(f"{demo_server.url}/statecharts")
    await expect(page.locator("#statecharts-error")).to_contain_text("(mermaid) is not installed")
    await expect(page.locator(".statechart-source")).to_contain_text("stateDiagram-v2")
    await expect(page.get_by_test_id("statechart")).to_have_count(0)


async def test_console_draws_the_room_with_its_current_state_highlighted(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    agent_socket, agent = await new_agent(demo_admin, f"sam-{uid}")
    await agent_socket.close()
    page = await (await new_context()).new_page()
    await sign_in(page, demo_server.url, agent["token"])
    customer, session = await escalated_customer(demo_server.url, f"ria-{uid}", "hello")
    try:
        room = await claim(page, queue_item(page, session["room_id"]))
        await room.get_by_role("button", name="Statechart").click()
        drawing = room.get_by_test_id("statechart")
        await expect(drawing).to_have_attribute("data-current", "agent_assigned")
        nodes = state_nodes(await drawn_svg(drawing))
        assert [name for name, classes in nodes.items() if "current" in classes.split()] == [
            "agent_assigned"
        ]

        # Handed back, the room is no longer the agent's to read: no stale picture stays.
        await room.get_by_test_id("release-button").click()
        await expect(room.get_by_test_id("room-state")).to_have_attribute(
            "data-state", "bot_active"
        )
        await expect(drawing).to_have_count(0)
        await expect(room.locator(".statechart-figure")).to_contain_text("no longer yours")
    finally:
        await customer.close()
