"""The README's screenshots can be retaken, and stay small."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.screenshots import take_screenshots
from tests.browser.support import module_loop, needs_browser
from tests.support import LiveServer

if TYPE_CHECKING:
    from playwright.async_api import Browser

pytestmark = [needs_browser, module_loop]


async def test_screenshots_are_small_pngs(
    demo_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    paths = await take_screenshots(browser, demo_server.url, tmp_path)
    assert [path.name for path in paths] == [
        "chat.png",
        "console.png",
        "help.png",
        "statecharts.png",
        "admin.png",
        "widget.png",
    ]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert 5_000 < path.stat().st_size < 200_000, (path, path.stat().st_size)
