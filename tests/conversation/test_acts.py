"""Dialogue acts are recognised robustly, and questions (even after a greeting) are not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from supportflow.conversation.acts import DialogueActs, clauses, normalise
from supportflow.conversation.config import load_conversation_rules
from supportflow.errors import ConfigurationError
from supportflow.knowledge.embedder import Embedder

RULES = load_conversation_rules().dialogue_acts
LABELLED = Path(__file__).with_name("dialogue_acts.jsonl")


@pytest.fixture(name="acts", scope="module")
def fixture_acts(embedder: Embedder) -> DialogueActs:
    return asyncio.run(DialogueActs.build(RULES, embedder))


def test_normalise_reads_shorthand_emoji_handles_and_repeats() -> None:
    assert normalise("@comcastcares thx!! 🙏🙏", RULES) == "thanks!! thank you thank you"
    assert normalise("Thaaanks, byeee", RULES) == "thanks, bye"
    assert normalise("ty so much https://t.co/x", RULES) == "thank you so much"
    assert clauses("hi, how do i port my number?") == ["hi", "how do i port my number"]


@pytest.mark.parametrize(
    ("text", "act"),
    [
        ("hiya", "greeting"),
        ("Good morning :)", "greeting"),
        ("thx", "thanks"),
        ("ty so much", "thanks"),
        ("thnaks", "thanks"),
        ("🙏", "thanks"),
        ("ok great, thanks, bye!", "goodbye"),
        ("got it", "acknowledgement"),
        ("👍", "acknowledgement"),
        ("yes please", "yes"),
        ("nope", "no"),
        ("are you a bot?", "bot_question"),
        ("that didn't help", "unhelpful"),
    ],
)
async def test_acts_are_recognised(acts: DialogueActs, text: str, act: str) -> None:
    found = await acts.classify(text)
    assert found is not None and found.name == act
    assert found.reply == RULES.acts[act].reply


@pytest.mark.parametrize(
    "text",
    [
        "hi, how do I set up voicemail?",
        "hello I need help with my bill",
        "thanks, and how do I pay online?",
        "is it free?",
        "and to Canada?",
        "what do I need for that?",
        "roaming",
        "how long does that take?",
        "ok thanks, but what about the roaming charges on my last bill from Spain?",
    ],
)
async def test_questions_are_not_small_talk(acts: DialogueActs, text: str) -> None:
    assert await acts.classify(text) is None


async def test_labelled_set_accuracy_holds(acts: DialogueActs) -> None:
    # The hand-written set scripts/evaluate_acts.py measures: the README figure must hold.
    rows = [json.loads(line) for line in LABELLED.read_text().splitlines() if line.strip()]
    right = 0
    for row in rows:
        found = await acts.classify(row["text"])
        right += (found.name if found else None) == row["act"]
    assert right / len(rows) >= 0.92


def test_exemplars_are_not_the_labelled_messages() -> None:
    def read(text: str) -> str:
        return " ".join(clauses(normalise(text, RULES)))

    lines = LABELLED.read_text().splitlines()
    labelled = {read(json.loads(line)["text"]) for line in lines if line}
    exemplars = {read(e) for spec in RULES.acts.values() for e in spec.exemplars}
    assert not labelled & exemplars


def test_a_bad_conversation_file_names_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "conversation.toml"
    bad.write_text("[dialogue_acts]\nmax_words = 0\n")
    with pytest.raises(ConfigurationError, match="dialogue_acts"):
        load_conversation_rules(bad)


class Recording:
    """An uncased embedder that records what it is asked to embed."""

    ignores_case = True

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.texts: list[str] = []

    async def embed_query(self, text: str) -> list[float]:
        self.texts.append(text)
        return await self.inner.embed_query(text)

    async def embed_fixed(self, texts: Sequence[str]) -> list[list[float]]:
        return await self.inner.embed_fixed(texts)


@pytest.mark.parametrize(
    ("text", "embedded"),
    [
        # One clause, only case and closing punctuation apart: the message itself, which
        # the bot embeds anyway (one row for the act check, retrieval and the rules).
        ("Thanks!", ["Thanks!"]),
        ("Which APN should I use?", ["Which APN should I use?"]),
        ("  Hello   there ", ["  Hello   there "]),
        # Normalising changed the words: the clause.
        ("thx", ["thanks"]),
        ("thaaanks", ["thanks"]),
        ("that's great", ["thats great"]),
        ("@telco hi", ["hi"]),
        # Two clauses: each on its own.
        ("hi, thanks", ["hi", "thanks"]),
        ("and what if I forget it?", ["what if i forget it"]),
    ],
)
async def test_a_one_clause_message_is_embedded_as_sent(
    embedder: Embedder, text: str, embedded: list[str]
) -> None:
    recording = Recording(embedder)
    acts = await DialogueActs.build(RULES, recording)
    recording.texts.clear()
    await acts.score_clauses(text)
    assert sorted(recording.texts) == sorted(embedded)


def test_the_shipped_model_ignores_case(embedder: Embedder) -> None:
    assert embedder.ignores_case


async def test_a_cased_model_embeds_the_clause(embedder: Embedder) -> None:
    recording = Recording(embedder)
    recording.ignores_case = False
    acts = await DialogueActs.build(RULES, recording)
    recording.texts.clear()
    await acts.score_clauses("Thanks!")
    assert recording.texts == ["thanks"]
