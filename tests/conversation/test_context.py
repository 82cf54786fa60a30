"""The conversation memory read back from the transcript, and the follow-up heuristics."""

from __future__ import annotations

from supportflow.conversation.context import (
    fuse,
    looks_dependent,
    memory_from,
    prefer_context,
    searchable,
)
from supportflow.rooms.responder import Turn


def bot(query: str | None, confidence: float, **extra: object) -> Turn:
    metadata: dict[str, object] = {
        "confidence": confidence,
        "sources": [{"id": "roaming", "title": "Roaming", "score": 0.7}],
        **extra,
    }
    if query is not None:
        metadata["query"] = query
    return Turn("bot", "an answer", metadata)


def test_memory_is_the_last_confident_answer_skipping_small_talk() -> None:
    history = [
        Turn("user", "how do I turn on roaming"),
        bot("how do I turn on roaming", 0.9),
        Turn("user", "thanks"),
        bot(None, 1.0, act="thanks"),
    ]
    memory = memory_from(history, 0.6)
    assert memory is not None
    assert memory.query == "how do I turn on roaming"
    assert memory.source_ids == ("roaming",)


def test_no_memory_after_an_unsure_answer_an_escalation_or_an_agent() -> None:
    assert memory_from([bot("q", 0.3)], 0.6) is None
    assert memory_from([bot("q", 0.9, escalate=True)], 0.6) is None
    assert memory_from([bot("q", 0.9), Turn("agent", "hello")], 0.6) is None
    assert memory_from([], 0.6) is None


def test_dependent_messages() -> None:
    assert looks_dependent("is it free?")
    assert looks_dependent("and to Canada?")
    assert looks_dependent("what about if I am travelling for a whole month in Europe")
    assert looks_dependent("how many days would that take to arrive here?")
    assert not looks_dependent("how do I set up voicemail on my new phone")


def test_a_clarifying_question_keeps_its_topic_until_answered() -> None:
    asked = [{"id": "data-plans", "title": "Data plans"}, {"id": "wifi", "title": "Wi-Fi"}]
    history = [Turn("user", "internet"), bot("internet", 0.3, suggestions=asked)]
    memory = memory_from(history, 0.6)
    assert memory is not None
    assert (memory.query, memory.source_ids) == ("internet", ("data-plans", "wifi"))
    # A confident answer afterwards replaces it.
    history += [Turn("user", "data plans"), bot("internet data plans", 0.9)]
    assert memory_from(history, 0.6) == memory_from([bot("internet data plans", 0.9)], 0.6)


def test_a_message_with_hardly_a_topic_word_of_its_own_leans_on_the_turns_before() -> None:
    # Longer than a short message, but its only content words are "many" and "days".
    assert looks_dependent("how many days do I have to do it then?")
    assert looks_dependent("ok so what's the price of that one per month?")
    # Three topic words of its own: it stands alone.
    assert not looks_dependent("can I keep my number when switching carriers")


def test_fuse_keeps_the_newest_words() -> None:
    long_query = " ".join(f"w{i}" for i in range(40))
    fused = fuse(long_query, "is it free?")
    assert fused.endswith("w39 is it free?")
    assert "w15" not in fused.split()


def test_context_wins_only_with_better_evidence() -> None:
    assert prefer_context(0.40, 0.50, dependent=True)
    assert not prefer_context(0.50, 0.40, dependent=True)
    # A message that reads as standalone needs a clear gain.
    assert not prefer_context(0.50, 0.53, dependent=False)
    assert prefer_context(0.40, 0.50, dependent=False)


def test_handles_urls_and_entities_are_not_searched() -> None:
    tweet = "@TMobileHelp @115911 my bill &amp; plan https://t.co/abc123 are wrong"
    assert searchable(tweet) == "my bill & plan are wrong"
    assert searchable("@115911") == "@115911"  # nothing else to search: keep it
