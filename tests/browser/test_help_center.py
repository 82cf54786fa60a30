"""The help center and the answers that link to it, in a real browser: numbered answers as
numbered lists (/chat and the console), citations that open their article, search, votes,
and axe-core on the pages."""

from __future__ import annotations

import httpx

from tests.browser.conftest import NewContext
from tests.browser.support import (
    accessibility_violations,
    ask_in_chat,
    claim,
    module_loop,
    needs_browser,
    queue_item,
    sign_in,
)
from tests.realtime.clients import new_agent
from tests.support import LiveServer

pytestmark = [needs_browser, module_loop]

VOICEMAIL = "calls-voicemail-setup-and-reset"
STEPS = [
    "Create a voicemail PIN of 4 to 7 digits.",
    "Record your name.",
    "Choose the standard greeting or record your own.",
]


async def test_a_numbered_answer_is_a_numbered_list_in_chat_and_in_the_console(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext, uid: str
) -> None:
    from playwright.async_api import expect

    chat = await (await new_context(width=420, height=760)).new_page()
    await ask_in_chat(chat, demo_server.url, "How do I set up voicemail?")
    answer = chat.get_by_test_id("bot-message").first
    steps = answer.locator(".text ol > li")
    await expect(steps).to_have_count(3, timeout=60_000)
    for step, text in zip(await steps.all(), STEPS, strict=True):
        await expect(step).to_contain_text(text)
    # No marker left in the text ("1." is the list's own numbering), no "Source:" line.
    assert "1." not in await answer.locator(".text").inner_text()
    await expect(answer.locator(".text")).not_to_contain_text("Source:")
    await expect(answer.get_by_test_id("citation")).to_have_count(1)

    agent_socket, agent = await new_agent(demo_admin, f"lou-{uid}")
    await agent_socket.close()
    console = await (await new_context()).new_page()
    await sign_in(console, demo_server.url, agent["token"])
    await chat.get_by_test_id("escalate-button").click()
    room_id = (await chat.evaluate("JSON.parse(localStorage.getItem('supportflow.chat.session'))"))[
        "room_id"
    ]
    room = await claim(console, queue_item(console, room_id))
    listed = room.get_by_test_id("bot-message").first.locator(".text ol > li")
    await expect(listed).to_have_count(3)
    await expect(listed.first).to_contain_text(STEPS[0])


async def test_a_citation_opens_its_help_center_article(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    context = await new_context()
    chat = await context.new_page()
    await ask_in_chat(chat, demo_server.url, "How do I reset my voicemail PIN?")
    citation = chat.get_by_test_id("bot-message").first.get_by_test_id("citation").locator("a")
    await expect(citation).to_have_attribute("href", f"/help/{VOICEMAIL}", timeout=60_000)
    async with context.expect_page() as opened:
        await citation.click()
    article = await opened.value
    await expect(article.get_by_test_id("article-title")).to_have_text(
        "Setting up voicemail and resetting your voicemail PIN"
    )
    assert article.url.endswith(f"/help/{VOICEMAIL}")
    body = article.get_by_test_id("article-body")
    await expect(body.locator("ol > li")).to_have_count(3)
    await expect(body).to_contain_text("To reset your voicemail PIN")


async def test_help_search_finds_an_article_and_a_vote_is_counted(
    demo_server: LiveServer, demo_admin: httpx.AsyncClient, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    response = await page.goto(f"{demo_server.url}/help")
    assert response is not None and response.ok
    assert "default-src 'self'" in (await response.all_headers())["content-security-policy"]
    await expect(page.get_by_test_id("help-category").first).to_be_visible()
    await page.get_by_test_id("help-query").fill("how do I reset my voicemail pin")
    await page.get_by_test_id("help-query").press("Enter")
    first = page.get_by_test_id("help-result").first
    await expect(first).to_have_attribute("data-article-id", VOICEMAIL, timeout=60_000)
    assert "q=how" in page.url

    before = await _votes(demo_admin, "up")
    await first.locator("a").click()
    await expect(page.get_by_test_id("article-title")).to_contain_text("voicemail")
    await page.get_by_test_id("helpful-up").click()
    await expect(page.get_by_test_id("helpful-thanks")).to_have_text("Thank you for your feedback.")
    await expect(page.get_by_test_id("helpful-up")).to_be_disabled()
    assert await _votes(demo_admin, "up") == before + 1


async def test_an_unknown_article_says_so_with_a_404(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    response = await page.goto(f"{demo_server.url}/help/no-such-article")
    assert response is not None and response.status == 404
    await expect(page.get_by_test_id("article-title")).to_have_text("Article not found")


async def test_the_help_center_and_an_answer_pass_axe(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context(bypass_csp=True)).new_page()
    await page.goto(f"{demo_server.url}/help?q=voicemail")
    await expect(page.get_by_test_id("help-result").first).to_be_visible(timeout=60_000)
    assert await accessibility_violations(page) == []

    await page.goto(f"{demo_server.url}/help/{VOICEMAIL}")
    await expect(page.get_by_test_id("article-body").locator("ol")).to_be_visible()
    assert await accessibility_violations(page) == []

    await ask_in_chat(page, demo_server.url, "How do I set up voicemail?")
    await expect(page.get_by_test_id("bot-message").locator("ol")).to_be_visible(timeout=60_000)
    assert await accessibility_violations(page) == []


async def _votes(admin: httpx.AsyncClient, verdict: str) -> float:
    text = (await admin.get("/metrics")).text
    prefix = f'supportflow_article_feedback_total{{verdict="{verdict}"}} '
    return next(
        (float(line[len(prefix) :]) for line in text.splitlines() if line.startswith(prefix)), 0.0
    )


async def test_a_related_article_is_offered_and_answers_when_picked(
    demo_server: LiveServer, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    page = await (await new_context()).new_page()
    await ask_in_chat(page, demo_server.url, "how do I keep my number")
    answer = page.get_by_test_id("bot-message").first
    await expect(answer.get_by_test_id("citation")).to_have_count(1, timeout=60_000)
    also = page.get_by_test_id("related-reply")
    await expect(also).to_have_text(
        ["Also: Moving your number to another carrier (number transfer PIN)"]
    )
    await also.click()
    second = page.get_by_test_id("bot-message").nth(1)
    await expect(second.get_by_test_id("citation").locator("a")).to_have_attribute(
        "href", "/help/service-transfer-pin-port-out", timeout=60_000
    )
    await expect(second.locator(".text ul > li")).to_have_count(3)
