"""Social text's word counts are read for the first message that needs them, off the loop."""

from __future__ import annotations

import threading

import pytest
import wordsegment
from hypothesis import given, settings
from hypothesis import strategies as st

from supportflow import social_text
from supportflow.social_text import needs_words, readable, words_ready


@pytest.fixture
def unread(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The word counts not read yet; each read is recorded (by thread name), not done."""
    reads: list[str] = []
    monkeypatch.setattr(wordsegment, "UNIGRAMS", {})
    monkeypatch.setattr(
        social_text, "load_words", lambda: reads.append(threading.current_thread().name)
    )
    return reads


@pytest.mark.parametrize(
    "text",
    [
        "my bill is wrong",
        "@NimbusHelp my wifi keeps dropping https://t.co/x",
        "can't log in, tried twice!",
        "AT and T wanted 75 dollars",
    ],
)
def test_a_plain_message_is_read_without_the_word_counts(unread: list[str], text: str) -> None:
    assert not needs_words(text)
    readable(text)
    assert unread == []


@pytest.mark.parametrize(
    "text",
    [
        "#NoInternet again",
        "wifi is sooo slow",
        "AT&amp;T wanted $75",
        "no signal \U0001f621",
        "\uff53\uff4f\uff4f\uff4f slow",  # full-width letters, which ftfy makes ASCII
    ],
)
def test_a_message_that_may_need_them_says_so(unread: list[str], text: str) -> None:
    assert needs_words(text)


# Printable text with the characters social text treats specially made likely.
_SOCIAL = st.text(
    alphabet=st.one_of(
        st.sampled_from("#&@ aoes;.!:/"),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(text=_SOCIAL)
def test_whatever_needs_words_misses_never_reads_them(text: str) -> None:
    reads: list[str] = []
    loaded, unigrams = social_text.load_words, wordsegment.UNIGRAMS
    social_text.load_words, wordsegment.UNIGRAMS = (lambda: reads.append("read")), {}
    try:
        if not needs_words(text):
            readable(text)
            assert reads == []
    finally:
        social_text.load_words, wordsegment.UNIGRAMS = loaded, unigrams


async def test_words_ready_reads_them_off_the_loop_and_only_when_needed(
    unread: list[str],
) -> None:
    await words_ready("my bill is wrong", "how do I pay")
    assert unread == []
    await words_ready("my bill is wrong", "#DoubleCharged")
    assert len(unread) == 1
    assert unread[0] != threading.current_thread().name
