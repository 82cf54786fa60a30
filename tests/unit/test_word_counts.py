"""Social text's word counts are read for the first message that needs them, off the loop."""

from __future__ import annotations

import threading

import pytest
import wordsegment
from hypothesis import HealthCheck, given, settings
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


# Social text built from what reads the word counts (hashtags, entities that become one,
# elongations, full-width letters) and what does not (words, handles, URLs, emoji, anything).
_SOCIAL = st.lists(
    st.one_of(
        st.sampled_from(["my", "wifi", "AT&T", "&amp;", "&num;NoSignal", "@Nimbus", "\U0001f621"]),
        st.sampled_from(["https://t.co/x", "\uff53\uff4f\uff4f\uff4f", "can't", "2nd"]),
        st.from_regex(r"#[A-Za-z0-9_]{1,8}", fullmatch=True),
        st.from_regex(r"[a-z]{0,3}([a-z])\1{2,4}[a-z]{0,3}", fullmatch=True),
        st.text(max_size=3),
    ),
    max_size=8,
).map(" ".join)


# `unread` is shared by the examples: fine, as the first read already fails the test.
@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_SOCIAL)
def test_whatever_needs_words_misses_never_reads_them(unread: list[str], text: str) -> None:
    if not needs_words(text):
        readable(text)
        assert unread == []


async def test_words_ready_reads_them_off_the_loop_and_only_when_needed(
    unread: list[str],
) -> None:
    await words_ready("my bill is wrong", "how do I pay")
    assert unread == []
    await words_ready("my bill is wrong", "#DoubleCharged")
    assert len(unread) == 1
    assert unread[0] != threading.current_thread().name
