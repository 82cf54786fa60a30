"""Headless Chromium (Debian's) driven by Playwright, against a real server on loopback.

Every test module here is marked `needs_browser`: without /usr/bin/chromium or Playwright
they are skipped with that reason (`make test` says so too); `.ci/run` installs chromium.
Every one is marked `module_loop` too: its tests run on the module's event loop and share
one Chromium, each test in contexts of its own (a module without the mark fails: its tests'
loop is not the browser's). The async fixtures they use from tests/conftest.py (`demo_admin`,
`fake`) are made again here on that loop: a client or server made on another loop is not
served while the test runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS
from tests.llm.fake_groq import FakeGroq
from tests.support import LiveServer, admin_http

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Route

NewContext = Callable[..., Awaitable["BrowserContext"]]


@pytest_asyncio.fixture(name="browser", scope="module", loop_scope="module")
async def fixture_browser(request: pytest.FixtureRequest) -> AsyncIterator[Browser]:
    marks = request.node.iter_markers("asyncio")
    if not any(mark.kwargs.get("loop_scope") == "module" for mark in marks):
        # Its tests would run on loops of their own, and wait forever on this browser.
        pytest.fail(f"{request.node.name}: mark the module `module_loop` (browser/support.py)")
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest_asyncio.fixture(name="new_context", loop_scope="module")
async def fixture_new_context(browser: Browser) -> AsyncIterator[NewContext]:
    """Make isolated browser profiles; a request to any host but 127.0.0.1 fails the test."""
    offsite: list[str] = []
    contexts: list[BrowserContext] = []

    async def guard(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            offsite.append(route.request.url)
            await route.abort()

    async def make(width: int = 1280, height: int = 860, **options: Any) -> BrowserContext:
        """`options`: more of Playwright's context options (`bypass_csp` lets a test put
        axe-core into a page)."""
        context = await browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(20_000)
        await context.route("**/*", guard)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        await context.close()
    assert offsite == [], f"the pages tried to reach other hosts: {offsite}"


@pytest_asyncio.fixture(name="demo_admin", loop_scope="module")
async def fixture_demo_admin(demo_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """The demo server's admin client, on the module's loop."""
    async with admin_http(demo_server) as client:
        yield client


@pytest_asyncio.fixture(name="fake", loop_scope="module")
async def fixture_fake() -> AsyncIterator[FakeGroq]:
    """Groq's local stand-in, per test, on the module's loop."""
    server = await FakeGroq().start()
    yield server
    await server.stop()
