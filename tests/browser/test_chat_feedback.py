"""The chat page's small forms in a real browser: the rating of a closed chat (CSAT) and,
out of office hours, an email address to be answered at."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from supportflow.office_hours import DAYS, parse_office_hours
from tests.browser.conftest import NewContext
from tests.browser.support import ask_in_chat, module_loop, needs_browser
from tests.support import LiveServer, serving

pytestmark = [needs_browser, module_loop]


async def test_a_closed_chat_asks_for_a_rating(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context(width=420, height=820)).new_page()
    await ask_in_chat(page, demo_server.url, "How do I reset my voicemail PIN?")
    await expect(page.get_by_test_id("bot-message").first).to_be_visible(timeout=60_000)
    await page.get_by_test_id("close-button").click()
    await expect(page.get_by_test_id("room-state")).to_have_attribute("data-state", "closed")

    form = page.get_by_test_id("csat-form")
    await expect(form).to_be_visible()
    await form.get_by_test_id("csat-submit").click()  # no score yet: nothing is sent
    await expect(page.locator("#notices")).to_contain_text("Pick a score")
    await form.get_by_test_id("csat-score-4").check()
    await form.get_by_test_id("csat-comment").fill("Quick answer, thanks")
    await form.get_by_test_id("csat-submit").click()
    await expect(page.get_by_test_id("feedback-thanks")).to_have_text("Thank you for your rating!")

    stored = await page.evaluate("JSON.parse(localStorage.getItem('supportflow.chat.session'))")
    rating = await demo_server.services.store.rating_for(stored["room_id"])
    assert rating is not None and (rating.score, rating.comment) == (4, "Quick answer, thanks")


@pytest.fixture(name="closed_server", scope="module")
def fixture_closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose office is open only on a day three days from today: closed now."""
    day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    hours = parse_office_hours(f"{day} 00:00-24:00", "UTC")
    with serving(tmp_path_factory.mktemp("closed") / "data", office_hours=hours) as server:
        yield server


async def test_out_of_hours_the_customer_leaves_an_email(
    closed_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context(width=420, height=820)).new_page()
    await ask_in_chat(page, closed_server.url, "I want to talk to a person")
    escalate = page.get_by_test_id("escalate-button")
    await expect(page.get_by_test_id("user-message").first).to_be_visible()
    await expect(page.get_by_test_id("room-state")).to_have_attribute(
        "data-state", "escalating", timeout=60_000
    )
    assert await escalate.is_visible()
    await expect(page.get_by_test_id("system-message").last).to_contain_text("agents are back on")

    form = page.get_by_test_id("contact-form")
    await expect(form).to_be_visible()
    await form.get_by_test_id("contact-email").fill("night.owl@example.org")
    await form.get_by_test_id("contact-submit").click()
    await expect(page.get_by_test_id("feedback-thanks")).to_contain_text("night.owl@example.org")
    stored = await page.evaluate("JSON.parse(localStorage.getItem('supportflow.chat.session'))")
    # Kept on the room, for agents (a private note); the customer's account is left alone.
    store = closed_server.services.store
    room = await store.messages_after(stored["room_id"], 0, include_private=True)
    assert [m.metadata.get("contact_email") for m in room if m.private] == ["night.owl@example.org"]
