"""The website widget in a real browser: a company's page on another origin (another loopback
port) embeds the snippet; the customer chats, escalates, an agent answers from the console,
the customer rates; other origins get nothing; identify resumes a chat on another device."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from supportflow.sites import sign_user_id
from supportflow.web.pages import NODE_MODULES
from tests.browser.conftest import NewContext
from tests.browser.host_pages import HostPage, HostSite, host_site
from tests.browser.support import claim, module_loop, needs_browser, queue_item, sign_in
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Frame, Page

pytestmark = [needs_browser, module_loop]


@pytest.fixture(name="shop", scope="module")
def fixture_shop() -> Iterator[HostSite]:
    """The company's website, on a loopback port of its own."""
    with host_site() as site:
        yield site


@pytest.fixture(name="stranger", scope="module")
def fixture_stranger() -> Iterator[HostSite]:
    """Someone else's website, which no site allows."""
    with host_site() as site:
        yield site


async def new_site(
    admin: httpx.AsyncClient, uid: str, origins: list[str], **extra: Any
) -> dict[str, Any]:
    body = {"site_id": f"shop-{uid}", "name": "Nimbus Mobile", "allowed_origins": origins, **extra}
    created = await admin.post("/api/sites", json=body)
    assert created.status_code == 201, created.text
    site: dict[str, Any] = created.json()
    return site


async def open_page(page: Page, url: str) -> None:
    """Load a host page and wait for the widget to say it is ready."""
    from playwright.async_api import expect

    await page.goto(url)
    await expect(page.get_by_test_id("widget-launcher")).to_be_visible()
    await page.wait_for_function("widgetEvents.some((e) => e.name === 'ready')")


def frame_of(page: Page) -> Frame:
    """The chat's frame (supportflow's origin) inside the host page."""
    [frame] = [frame for frame in page.frames if "/widget/frame" in frame.url]
    return frame


async def stored_chat(page: Page, site_id: str) -> dict[str, Any]:
    chat: dict[str, Any] = await frame_of(page).evaluate(
        f"JSON.parse(localStorage.getItem('supportflow.widget.{site_id}.session'))"
    )
    return chat


async def events(page: Page, name: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await page.evaluate(
        f"widgetEvents.filter((e) => e.name === '{name}').map((e) => e.detail)"
    )
    return found


async def test_a_customer_chats_escalates_is_answered_from_the_console_and_rates(
    demo_server: LiveServer,
    demo_admin: httpx.AsyncClient,
    new_context: NewContext,
    shop: HostSite,
    uid: str,
) -> None:
    from playwright.async_api import expect

    site = await new_site(demo_admin, uid, [shop.origin])
    url = shop.add(
        f"/plans-{uid}",
        HostPage(site["site_id"], demo_server.url, attributes={"plan": "unlimited-plus"}),
    )
    agent = (
        await demo_admin.post(
            "/api/agents", json={"agent_id": f"ann-{uid}", "name": "Ann", "is_available": True}
        )
    ).json()
    console = await (await new_context()).new_page()
    await sign_in(console, demo_server.url, agent["token"])

    page = await (await new_context()).new_page()
    await open_page(page, url)
    launcher = page.get_by_test_id("widget-launcher")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(page.get_by_test_id("widget-unread")).to_be_hidden()
    await launcher.click()
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    chat = page.frame_locator('[data-testid="widget-frame"]')
    await expect(chat.get_by_test_id("greeting")).to_have_text(site["greeting"])
    await chat.get_by_test_id("message-input").fill("How do I reset my voicemail PIN?")
    await chat.get_by_test_id("message-input").press("Enter")
    answer = chat.get_by_test_id("bot-message").first
    await expect(answer.get_by_test_id("citation").first).to_contain_text(
        "oicemail", timeout=60_000
    )
    if await chat.get_by_test_id("escalate-button").is_enabled():
        await chat.get_by_test_id("escalate-button").click()
    await expect(chat.get_by_test_id("room-state")).to_have_attribute("data-state", "escalating")
    await page.wait_for_function("widgetEvents.some((e) => e.name === 'escalated')")
    room_id = (await stored_chat(page, site["site_id"]))["room_id"]

    # The agent claims it from the console and sees where it came from.
    room = await claim(console, queue_item(console, room_id))
    await expect(room.get_by_test_id("context-customer")).to_contain_text("on Nimbus Mobile")
    await expect(room.get_by_test_id("context-attributes")).to_contain_text("plan: unlimited-plus")
    await room.get_by_test_id("message-input").fill("Hi, Ann here: I can reset it for you.")
    await room.get_by_test_id("send-button").click()
    await expect(chat.get_by_test_id("agent-message")).to_contain_text("Ann here")
    await expect(chat.locator("#agent-info")).to_contain_text("Ann is helping you")

    # Closed, a reply shows on the launcher's badge and in its name; opening reads it.
    await chat.get_by_test_id("widget-close").click()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(launcher).to_be_focused()
    await room.get_by_test_id("message-input").fill("Done: your new PIN is on its way by SMS.")
    await room.get_by_test_id("send-button").click()
    await expect(page.get_by_test_id("widget-unread")).to_have_text("1")
    await expect(launcher).to_have_attribute(
        "aria-label", "Open the chat with Nimbus Mobile (1 unread message)"
    )
    assert (await events(page, "message"))[-1] == {
        "sender_type": "agent",
        "created_at": await page.evaluate("widgetEvents.at(-1).detail.created_at"),
        "unread": 1,
    }

    # A reload (or another tab of the site) finds the same chat, and the panel as it was.
    await launcher.click()
    await expect(page.get_by_test_id("widget-unread")).to_be_hidden()
    await page.reload()
    await page.wait_for_function("widgetEvents.some((e) => e.name === 'ready' && e.detail.open)")
    await expect(chat.get_by_test_id("agent-message")).to_have_count(2)
    other_tab = await page.context.new_page()
    await open_page(other_tab, url)
    await expect(
        other_tab.frame_locator('[data-testid="widget-frame"]').get_by_test_id("agent-message")
    ).to_have_count(2)
    await other_tab.close()

    await room.get_by_test_id("close-button").click()
    await chat.get_by_test_id("csat-score-4").check()
    await chat.get_by_test_id("csat-comment").fill("Quick and kind.")
    await chat.get_by_test_id("csat-submit").click()
    await expect(chat.get_by_test_id("feedback-thanks")).to_contain_text("Thank you")
    rating = demo_server.call(lambda: demo_server.services.store.rating_for(room_id))
    assert rating is not None and (rating.score, rating.comment, rating.agent_id) == (
        4,
        "Quick and kind.",
        agent["agent_id"],
    )


async def test_a_page_of_an_origin_not_allowed_gets_nothing(
    demo_server: LiveServer,
    demo_admin: httpx.AsyncClient,
    new_context: NewContext,
    shop: HostSite,
    stranger: HostSite,
    uid: str,
) -> None:
    from playwright.async_api import expect

    site = await new_site(demo_admin, uid, [shop.origin])
    page_of = HostPage(site["site_id"], demo_server.url)
    page = await (await new_context()).new_page()
    await page.goto(stranger.add(f"/copy-{uid}", page_of))
    await page.wait_for_function("widgetEvents.some((e) => e.name === 'error')")
    assert [e["code"] for e in await events(page, "error")] == ["site_unavailable"]
    await expect(page.locator("#supportflow-widget")).to_have_count(0)
    assert [frame.url for frame in page.frames] == [page.url]

    # Framing the chat by hand: refused by the server for this origin, and by the browser
    # (frame-ancestors) when the page claims to be the shop.
    chat = await demo_admin.post(f"/api/sites/{site['site_id']}/sessions", json={})
    token = chat.json()["token"]
    for claimed in (stranger.origin, shop.origin):
        src = f"{demo_server.url}/widget/frame?site={site['site_id']}&origin={claimed}"
        await page.evaluate(
            "(src) => new Promise((done) => { const f = document.createElement('iframe');"
            " f.src = src; f.onload = done; setTimeout(done, 5000); document.body.append(f); })",
            src,
        )
    framed = [frame for frame in page.frames if frame != page.main_frame]
    for frame in framed:
        # Neither frame runs the chat: no transcript, whatever the browser shows instead.
        assert not await frame.locator("#transcript").count()

    # The socket: refused from this origin, while the shop's own page may open it.
    async def connect_from(origin_page: Page) -> str:
        await origin_page.add_script_tag(url=f"{demo_server.url}/web/vendor/socket.io.min.js")
        result: str = await origin_page.evaluate(
            "([url, token]) => new Promise((done) => {"
            " const s = io(url, {auth: {token}, transports: ['websocket'], reconnection: false});"
            " s.on('connect', () => { done('connected'); s.close(); });"
            " s.on('connect_error', (e) => done('refused: ' + e.message));"
            " setTimeout(() => done('timeout'), 15000); })",
            [demo_server.url, token],
        )
        return result

    assert (await connect_from(page)).startswith("refused")
    shop_page = await (await new_context()).new_page()
    await shop_page.goto(shop.add(f"/plain-{uid}", page_of))
    assert await connect_from(shop_page) == "connected"


async def test_identify_resumes_the_customer_s_chat_on_another_device_and_a_bad_hash_is_refused(
    demo_server: LiveServer,
    demo_admin: httpx.AsyncClient,
    new_context: NewContext,
    shop: HostSite,
    uid: str,
) -> None:
    from playwright.async_api import expect

    site = await new_site(demo_admin, uid, [shop.origin], prechat_fields=["name"])
    user_id = f"cust-{uid}"
    good = {"user_id": user_id, "user_hash": sign_user_id(site["secret"], user_id), "name": "Dana"}
    url = shop.add(f"/account-{uid}", HostPage(site["site_id"], demo_server.url, identify=good))

    laptop = await (await new_context()).new_page()
    await open_page(laptop, url)
    await laptop.get_by_test_id("widget-launcher").click()
    chat = laptop.frame_locator('[data-testid="widget-frame"]')
    await expect(chat.get_by_test_id("prechat-form")).to_be_hidden()  # the page said who
    await chat.get_by_test_id("message-input").fill("Is my SIM activated?")
    await chat.get_by_test_id("message-input").press("Enter")
    await expect(chat.get_by_test_id("bot-message").first).to_be_visible(timeout=60_000)
    first = await stored_chat(laptop, site["site_id"])
    assert (first["user_id"], first["verified"]) == (user_id, True)

    phone = await (await new_context(width=390, height=800)).new_page()
    await open_page(phone, url)
    await phone.get_by_test_id("widget-launcher").click()
    resumed = phone.frame_locator('[data-testid="widget-frame"]')
    await expect(resumed.get_by_test_id("user-message").locator(".text")).to_have_text(
        ["Is my SIM activated?"]
    )
    assert (await stored_chat(phone, site["site_id"]))["room_id"] == first["room_id"]

    forged = {**good, "user_hash": sign_user_id("not-the-secret", user_id)}
    bad_url = shop.add(
        f"/forged-{uid}", HostPage(site["site_id"], demo_server.url, identify=forged)
    )
    intruder = await (await new_context()).new_page()
    await open_page(intruder, bad_url)
    await intruder.wait_for_function("widgetEvents.some((e) => e.name === 'error')")
    assert [e["code"] for e in await events(intruder, "error")] == ["identity_refused"]
    await intruder.get_by_test_id("widget-launcher").click()
    anonymous = intruder.frame_locator('[data-testid="widget-frame"]')
    await expect(anonymous.get_by_test_id("prechat-form")).to_be_visible()
    await expect(anonymous.get_by_test_id("user-message")).to_have_count(0)
    assert await stored_chat(intruder, site["site_id"]) is None


AXE = NODE_MODULES / "axe-core" / "axe.min.js"
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


async def axe_violations(frame: Frame) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations in `frame` (its source evaluated there: a page's
    CSP does not apply to what the test runs)."""
    if not await frame.evaluate("typeof window.axe === 'object'"):
        await frame.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result: list[dict[str, Any]] = await frame.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then((r) => r.violations.map((v) => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map((n) => n.target.join(' '))})))",
        WCAG_A_AA,
    )
    return result


@pytest.mark.skipif(not AXE.is_file(), reason="axe-core is not installed (`make install` with npm)")
async def test_the_widget_has_no_wcag_a_or_aa_violations_and_offers_quick_replies(
    demo_server: LiveServer,
    demo_admin: httpx.AsyncClient,
    new_context: NewContext,
    shop: HostSite,
    uid: str,
) -> None:
    from playwright.async_api import expect

    site = await new_site(
        demo_admin, uid, [shop.origin], prechat_fields=["name", "email"], brand_color="#ffd400"
    )
    page = await (await new_context()).new_page()
    await open_page(page, shop.add(f"/a11y-{uid}", HostPage(site["site_id"], demo_server.url)))
    assert await axe_violations(page.main_frame) == []  # the launcher, on the host page
    await page.get_by_test_id("widget-launcher").click()
    chat = page.frame_locator('[data-testid="widget-frame"]')
    await expect(chat.get_by_test_id("prechat-form")).to_be_visible()
    assert await axe_violations(frame_of(page)) == []

    await chat.get_by_test_id("prechat-name").fill("Eli")
    await chat.get_by_test_id("prechat-email").fill("eli@example.com")
    await chat.get_by_test_id("prechat-submit").click()
    await expect(chat.get_by_test_id("message-input")).to_be_focused()
    await chat.get_by_test_id("message-input").fill("internet")
    await chat.get_by_test_id("message-input").press("Enter")
    choices = chat.get_by_test_id("quick-reply")
    await expect(choices.first).to_be_visible(timeout=60_000)
    assert await axe_violations(frame_of(page)) == []
    title = await choices.first.inner_text()
    await choices.first.click()
    answer = chat.get_by_test_id("bot-message").nth(1)
    await expect(answer.get_by_test_id("citation").first).to_have_text(title, timeout=60_000)
    await expect(answer.get_by_test_id("thumb-up")).to_be_visible()
    assert await axe_violations(frame_of(page)) == []
    assert await axe_violations(page.main_frame) == []
    context = (
        await demo_admin.get(
            f"/api/sessions/{(await stored_chat(page, site['site_id']))['session_id']}/context"
        )
    ).json()
    assert (context["name"], context["email"], context["verified"]) == (
        "Eli",
        "eli@example.com",
        False,
    )


async def test_keyboard_phone_screens_and_reduced_motion(
    demo_server: LiveServer,
    demo_admin: httpx.AsyncClient,
    new_context: NewContext,
    shop: HostSite,
    uid: str,
) -> None:
    from playwright.async_api import expect

    site = await new_site(demo_admin, uid, [shop.origin], launcher_position="bottom-left")
    page = await (await new_context(width=375, height=700)).new_page()
    await page.emulate_media(reduced_motion="reduce")
    await open_page(page, shop.add(f"/phone-{uid}", HostPage(site["site_id"], demo_server.url)))
    launcher = page.get_by_test_id("widget-launcher")
    box = await launcher.bounding_box()
    assert box is not None and box["x"] < 100  # bottom left, as the site chose

    for _ in range(10):  # the page's one link, then the launcher
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.id === 'supportflow-widget'"):
            break
    await expect(launcher).to_be_focused()
    await page.keyboard.press("Enter")
    chat = page.frame_locator('[data-testid="widget-frame"]')
    await expect(chat.get_by_test_id("message-input")).to_be_focused()
    panel = page.get_by_test_id("widget-panel")
    assert await panel.bounding_box() == {"x": 0, "y": 0, "width": 375, "height": 700}
    assert await panel.evaluate("(p) => getComputedStyle(p).transitionDuration") == "0s"

    await page.keyboard.type("Hello")
    await page.keyboard.press("Escape")
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(launcher).to_be_focused()
    await page.evaluate("supportflow('open')")
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    await page.evaluate("supportflow('nonsense')")
    await page.evaluate("supportflow('set', 'plan=pro')")
    codes = [e["code"] for e in await events(page, "error")]
    assert codes == ["unknown_command", "invalid_input"]
