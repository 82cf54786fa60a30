"""What every browser test needs: the chromium launch, the skip rule, page helpers."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from supportflow.web.pages import NODE_MODULES, SOCKET_IO_CLIENT, VENDOR_DIR
from tests.realtime.clients import ChatClient, Event, new_customer

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

CHROMIUM = Path("/usr/bin/chromium")
# The flags keep Chromium from phoning home (component updates, sync, QUIC probes): the
# tests may talk to 127.0.0.1 and nothing else.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _why_not() -> str | None:
    if not CHROMIUM.exists():
        return f"browser tests SKIPPED: {CHROMIUM} not found (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "browser tests SKIPPED: playwright is not installed (pip install -e '.[test]')"
    if not (VENDOR_DIR / SOCKET_IO_CLIENT).is_file():
        return "browser tests SKIPPED: socket.io-client is not installed (`make install` with npm)"
    return None


SKIP_REASON = _why_not()
needs_browser = pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or "")
# A module's tests run on one event loop, so they share one Chromium (conftest.py's
# `browser`): a launch costs about a second of CPU, a new context a fifth of that.
module_loop = pytest.mark.asyncio(loop_scope="module")


async def sign_in(page: Page, base_url: str, token: str) -> None:
    """Open the console and sign in with `token`; returns once the socket is connected."""
    from playwright.async_api import expect

    await page.goto(f"{base_url}/console")
    await page.get_by_test_id("token-input").fill(token)
    await page.get_by_test_id("login-button").click()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "online")


async def ask_in_chat(page: Page, base_url: str, text: str) -> None:
    """Open the customer page at `base_url` and send `text` as a customer would (Enter)."""
    await page.goto(f"{base_url}/chat")
    await page.get_by_test_id("message-input").fill(text)
    await page.get_by_test_id("message-input").press("Enter")


async def escalated_customer(base_url: str, user_id: str, text: str) -> tuple[ChatClient, Event]:
    """A customer (Socket.IO test client) whose room is waiting in the agents' queue.

    Whether the bot escalates `text` by itself depends on the answerer; asking for a person
    afterwards settles it either way (`invalid_transition` means it already had).
    """
    customer, session = await new_customer(base_url, user_id)
    await customer.ok("send_message", {"room_id": session["room_id"], "message": text})
    await customer.wait_for("new_message", lambda m: m["sender_type"] == "bot")
    ack = await customer.call("escalate", {"room_id": session["room_id"]})
    assert ack["ok"] or ack["error"]["code"] == "invalid_transition", ack
    await customer.wait_for("room_state", lambda s: s["state"] == "escalating")
    return customer, session


AXE_CORE = NODE_MODULES / "axe-core" / "axe.min.js"


async def accessibility_violations(page: Page) -> list[str]:
    """What axe-core (npm, installed by `make install`) finds wrong on `page`, as
    "rule: target" lines; the page's context needs `bypass_csp=True` to take the script."""
    assert AXE_CORE.is_file(), "axe-core is not installed: run `make install` with npm present"
    await page.add_script_tag(path=str(AXE_CORE))
    found = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`))"
    )
    return list(found)


def queue_item(page: Page, room_id: str) -> Locator:
    return page.locator(f'[data-testid="queue-item"][data-room-id="{room_id}"]')


async def claim(page: Page, item: Locator) -> Locator:
    """Claim a queue `item` in the console on `page`; the chat's panel, once it shows the
    room assigned (only then may the agent type, hand back or transfer)."""
    from playwright.async_api import expect

    await item.get_by_test_id("claim-button").click()
    room = page.locator(".room:not([hidden])")
    await expect(room.get_by_test_id("room-state")).to_have_attribute(
        "data-state", "agent_assigned"
    )
    return room
