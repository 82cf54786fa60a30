"""Each escalation rule fires, or stays quiet, as it should (real model vocabulary)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportflow.errors import ConfigurationError
from supportflow.escalation.policy import EscalationPolicy, WordRules
from supportflow.escalation.rules_file import load_rules
from supportflow.escalation.semantic import ExemplarIndex
from supportflow.knowledge.embedder import Embedder
from tests.fakes import model_vocabulary

RULES = load_rules()


@pytest.fixture(name="words", scope="module")
def fixture_words() -> WordRules:
    # The model's real vocabulary, read from its tokenizer file: no model load needed.
    return WordRules(RULES, model_vocabulary())


def test_the_vocabulary_file_is_the_models(embedder: Embedder) -> None:
    # The seam above must not drift from what the server uses (Embedder.known_words).
    assert model_vocabulary() == embedder.known_words()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Negation, scoped to its clause.
        ("I'm not angry, just asking how to cancel my add-on", set()),
        ("I am angry about this bill", {"frustration"}),
        ("my internet is not working again", {"frustration"}),
        ("this is ridiculous, nothing works", {"frustration"}),
        ("what the fucking hell is going on", {"frustration"}),
        # Typos.
        ("I am so angyr with you", {"frustration"}),
        ("I want to cancle my line", {"sensitive_topic"}),
        ("can I spek to a humna please", {"human_requested"}),
        # Words, not substrings; questions about a topic are not the topic.
        ("what is the cancellation fee for my plan?", set()),
        ("how much is the early termination charge", set()),
        ("cancel my line", {"sensitive_topic"}),
        ("please close my account", {"sensitive_topic"}),
        ("delete a photo from my account", set()),
        ("I want to disconnect my home internet", {"sensitive_topic"}),
        ("what is your refund policy", set()),
        ("I want a refund for last month", {"sensitive_topic"}),
        ("I was charged twice this month", {"sensitive_topic"}),
        ("my card payment was declined", {"sensitive_topic"}),
        ("how do I pay my bill by card", set()),
        ("is there a service outage in my area", {"sensitive_topic"}),
        ("let me talk to a real person", {"human_requested"}),
        ("I'd like to speak with customer service", {"human_requested"}),
        ("I don't need to talk to an agent, thanks", set()),
        ("how do I set up voicemail", set()),
        ("the app is scanning for networks", set()),
        # Indirect requests: a person asked to contact the customer. A contact verb after
        # "my"/"the" is a noun, and a past one reports, it does not ask.
        ("can someone call me?", {"human_requested"}),
        ("could somebody ring me back tomorrow", {"human_requested"}),
        ("does my phone support eSIM?", set()),
        ("someone called me pretending to be you", set()),
        # What the company's people said, wanted or refused: a case under way. Not the bot
        # ("you said"), not a page ("the support page says"), not anyone else's wants.
        ("they wanted $75 to switch my 3 phones", {"sensitive_topic"}),
        ("the rep told me my upgrade was approved", {"sensitive_topic"}),
        ("why are they asking for my password again", {"sensitive_topic"}),
        ("they refused to give me a PIN without the account holder", {"sensitive_topic"}),
        ("they don't charge for roaming in Canada, do they?", set()),
        ("you said to restart it, where is that setting?", set()),
        ("the support page says I need a PIN", set()),
        ("my kids want more data, which plan is best?", set()),
        ("what do they charge for roaming in Spain?", set()),
    ],
)
def test_word_rules(words: WordRules, text: str, expected: set[str]) -> None:
    assert words.reasons(text) == expected


@pytest.fixture(name="policy", scope="module")
def fixture_policy(embedder: Embedder, words: WordRules) -> EscalationPolicy:
    import asyncio

    semantic = RULES.semantic
    exemplars = asyncio.run(
        ExemplarIndex.build(
            embedder, semantic.exemplars, semantic.neutral, semantic.threshold, semantic.margin
        )
    )
    return EscalationPolicy(RULES, words, exemplars)


async def test_thresholds_fire_every_reason_in_order(policy: EscalationPolicy) -> None:
    decision = await policy.decide(
        "I am angry, let me talk to a human", confidence=0.2, exchange_count=11
    )
    assert decision.escalate
    assert decision.reasons == (
        "low_confidence",
        "long_conversation",
        "frustration",
        "human_requested",
    )


async def test_a_confident_ordinary_question_does_not_escalate(policy: EscalationPolicy) -> None:
    decision = await policy.decide("how do I set up voicemail", confidence=0.9, exchange_count=3)
    assert not decision.escalate
    assert decision.reasons == ()


async def test_the_boundaries_are_strict(policy: EscalationPolicy) -> None:
    at_limits = await policy.decide("how do I check my data", confidence=0.6, exchange_count=10)
    assert at_limits.reasons == ()


async def test_semantic_layer_catches_a_paraphrase_words_miss(
    policy: EscalationPolicy, words: WordRules
) -> None:
    text = "I'd like my money returned"
    assert words.reasons(text) == set()
    decision = await policy.decide(text, confidence=0.9, exchange_count=1)
    assert decision.reasons == ("sensitive_topic",)


async def test_exemplar_similarities_are_the_per_phrase_products(embedder: Embedder) -> None:
    # One matrix product per reason replaced a Python loop of dot products (issue 23's
    # profile): every similarity, so every threshold decision, must be what it was.
    semantic = RULES.semantic
    index = await ExemplarIndex.build(
        embedder, semantic.exemplars, semantic.neutral, semantic.threshold, semantic.margin
    )
    text = "I'd like my money returned"
    vector = await embedder.embed_query(text)

    def best(phrases: list[str], vectors: list[list[float]]) -> float:
        assert len(vectors) == len(phrases)
        return max(sum(x * y for x, y in zip(vector, v, strict=True)) for v in vectors)

    per_reason, neutral = await index.similarities(text)
    assert per_reason.keys() == semantic.exemplars.keys()
    for reason, phrases in semantic.exemplars.items():
        expected = best(list(phrases), await embedder.embed_documents(list(phrases)))
        assert per_reason[reason] == pytest.approx(expected, abs=1e-12)
    neutral_phrases = list(semantic.neutral)
    expected_neutral = best(neutral_phrases, await embedder.embed_documents(neutral_phrases))
    assert neutral == pytest.approx(expected_neutral, abs=1e-12)
    assert await index.reasons(text) == {"sensitive_topic"}


def test_a_broken_rules_file_names_the_key(tmp_path: Path) -> None:
    from supportflow.escalation.rules_file import default_rules_path

    shipped = default_rules_path().read_text(encoding="utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(shipped.replace("min_confidence = 0.6", "min_confidence = 'high'"), "utf-8")
    with pytest.raises(ConfigurationError, match="min_confidence"):
        load_rules(path)


def test_a_rules_file_without_the_staff_dealings_table_still_loads(tmp_path: Path) -> None:
    # Operators' copies of rules.toml predate the table: the rule is off, nothing else moves.
    from supportflow.escalation.rules_file import default_rules_path

    shipped = default_rules_path().read_text(encoding="utf-8")
    start = shipped.index("[sensitive_topic.staff_dealings]")
    end = shipped.index("[human_requested]")
    path = tmp_path / "rules.toml"
    path.write_text(shipped[:start] + shipped[end:], "utf-8")
    older = load_rules(path)
    assert older.staff_dealings.subjects == ()
    assert WordRules(older, model_vocabulary()).reasons("they wanted $75 to switch") == set()
    assert older.human_request == RULES.human_request
