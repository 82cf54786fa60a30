"""Which replies show the answer's words (so may stream them), decided before it is written."""

from __future__ import annotations

import pytest

from supportflow.bot.responder import Verdict
from supportflow.escalation.policy import (
    FRUSTRATION,
    LOW_CONFIDENCE,
    SENSITIVE_TOPIC,
    EscalationDecision,
)
from supportflow.rooms.responder import Source
from supportflow.rooms.streaming import current_sink, not_streaming, streaming_to

TOSS = (Source("post", "Bill by post", 0.5), Source("email", "Bill by email", 0.5))


@pytest.mark.parametrize(
    ("reasons", "coin_toss", "asks", "quotes"),
    [
        ((), (), False, True),  # the answer
        ((SENSITIVE_TOPIC,), (), False, True),  # a hand-over that quotes the answer
        ((), TOSS, True, False),  # "Do you mean ...?"
        ((SENSITIVE_TOPIC,), TOSS, False, False),  # a hand-over that quotes neither
        ((LOW_CONFIDENCE,), (), False, False),  # unsure: asked, off topic or handed over
        ((LOW_CONFIDENCE, FRUSTRATION), TOSS, False, False),
    ],
)
def test_only_an_answer_or_a_quoting_hand_over_shows_the_answer(
    reasons: tuple[str, ...], coin_toss: tuple[Source, ...], asks: bool, quotes: bool
) -> None:
    verdict = Verdict(EscalationDecision(reasons), coin_toss, 0.5)
    assert (verdict.asks, verdict.quotes) == (asks, quotes)


async def test_not_streaming_hides_the_sink_for_its_block_only() -> None:
    async def sink(text: str) -> None:
        del text

    with streaming_to(sink):
        with not_streaming():
            assert current_sink() is None
        assert current_sink() is sink
    assert current_sink() is None
