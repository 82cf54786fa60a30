"""Headless Chromium (Debian's) driven by Playwright, against a real server on loopback.

Every test module here is marked `needs_browser`: without /usr/bin/chromium or Playwright
they are skipped with that reason (`make test` says so too); `.ci/run` installs chromium.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from tests.browser.support import CHROMIUM, CHROMIUM_ARGS

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Route

NewContext = Callable[..., Awaitable["BrowserContext"]]


@pytest.fixture(name="browser")
async def fixture_browser() -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture(name="new_context")
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
