"""scripts/answer_quality.py: what counts as a cut sentence, a broken list, a citation."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
ARTICLE = """Voicemail is free. To set it up, follow the prompts:

1. Create a PIN of 4 to 7 digits.
2. Record your name.
3. Choose a greeting.

Visual voicemail lists your messages... so you can play them in any order."""


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "answer_quality", ROOT / "scripts" / "answer_quality.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["answer_quality"] = module
    spec.loader.exec_module(module)
    return module


def judged(text: str, cited: list[str] | None = None, expected: list[str] | None = None) -> object:
    quality = load().AnswerQuality({"vm": ARTICLE, "other": "Other text."})
    quality.add(text, cited or ["vm"], expected)
    return quality


def test_whole_sentences_and_the_whole_list_pass() -> None:
    quality = judged(
        "To set it up, follow the prompts:\n\n1. Create a PIN of 4 to 7 digits.\n"
        "2. Record your name.\n3. Choose a greeting.\n\nA member of our team will help."
    )
    assert (quality.cut, quality.broken, quality.quoting) == (0, 0, 1)


def test_a_cut_sentence_and_an_elision_are_caught() -> None:
    assert judged("To set it up, follow").cut == 1
    assert judged("Voicemail is free. To set it up...").elided == 1
    # The article's own "..." is no elision of ours.
    assert (
        judged("Visual voicemail lists your messages... so you can play them in any order.").cut
        == 0
    )


def test_lists_flattened_renumbered_gapped_or_cut_short_are_broken() -> None:
    assert (
        judged("Follow the prompts: Create a PIN of 4 to 7 digits. 2. Record your name.").broken
        == 1
    )
    assert judged("1. Record your name.").broken == 1  # the article numbers it 2
    assert (
        judged("- Create a PIN of 4 to 7 digits.\n- Record your name.\n- Choose a greeting.").broken
        == 1
    )
    assert judged("1. Create a PIN of 4 to 7 digits.\n3. Choose a greeting.").broken == 1
    assert judged("1. Create a PIN of 4 to 7 digits.\n2. Record your name.").broken == 1
    linked = (
        "1. Create a PIN of 4 to 7 digits.\n2. Record your name.\n\nThe rest: [Voicemail](/help/vm)"
    )
    assert judged(linked).broken == 0


def test_citation_precision_counts_cited_articles_among_the_expected() -> None:
    quality = load().AnswerQuality({"vm": ARTICLE, "other": "Other text."})
    quality.add("Voicemail is free.", ["vm", "other"], ["vm"])
    quality.add("Hand-over.", [], ["vm"])
    quality.add("Voicemail is free.", ["vm"], None)  # unknown: not counted
    assert (quality.cited_expected, quality.cited) == (1, 2)
    lines = quality.lines("x.jsonl")
    assert "citation precision 0.500 (1/2)" in lines[1]
    assert load().percentile([5, 1, 3, 2, 4], 90) == 5
