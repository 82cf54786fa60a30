"""With Groq (the local stand-in), /chat shows the bot's reply as it is written: the
message_delta pieces grow one streaming bubble, which the stored new_message then replaces."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.browser.conftest import NewContext
from tests.browser.support import ask_in_chat, module_loop, needs_browser
from tests.llm.fake_groq import FakeGroq
from tests.support import LiveServer

pytestmark = [needs_browser, module_loop, pytest.mark.real_model]  # the demo articles' answers

ANSWER = "Turn on roaming in Settings before you travel [roaming-international-roaming]."
# What the page shows: the bracketed id is the reply's source, linked under it.
SHOWN = "Turn on roaming in Settings before you travel."

# Every text the streaming bubble shows, in order: a MutationObserver sees each delta land.
RECORD_STREAM = """
window.streamed = [];
new MutationObserver(() => {
  const text = document.querySelector('[data-testid="streaming-reply"] .text')?.textContent.trim();
  if (text && text !== window.streamed.at(-1)) window.streamed.push(text);
}).observe(document, { childList: true, characterData: true, subtree: true });
"""


async def test_chat_renders_a_streamed_reply_progressively(
    start_server: Callable[..., LiveServer], fake: FakeGroq, new_context: NewContext
) -> None:
    from playwright.async_api import expect

    server = start_server(demo_kb=True, **fake.server_overrides())
    fake.script.append(("ok", ANSWER))
    context = await new_context()
    await context.add_init_script(RECORD_STREAM)
    page = await context.new_page()
    await ask_in_chat(page, server.url, "How do I turn on roaming?")

    answer = page.get_by_test_id("bot-message")
    await expect(answer).to_have_count(1, timeout=60_000)
    await expect(answer.locator(".text")).to_have_text(SHOWN)
    await expect(answer.get_by_test_id("citation")).to_have_count(1)
    await expect(page.get_by_test_id("streaming-reply")).to_have_count(0)
    assert fake.requests[-1]["stream"] is True
    streamed: list[str] = await page.evaluate("window.streamed")
    # Grown piece by piece, each step a prefix of the answer, before the whole one came.
    assert len(streamed) > 3, streamed
    assert all(SHOWN.startswith(text) for text in streamed), streamed
    assert [len(text) for text in streamed] == sorted({len(text) for text in streamed})
