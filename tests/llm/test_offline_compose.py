"""The offline answerer's composition, on articles written for it: whole sentences, whole
list items numbered as the article numbers them, a link for what does not fit."""

from __future__ import annotations

from supportflow.knowledge.article import parse_article
from supportflow.knowledge.documents import SENTENCE, Passage
from supportflow.knowledge.passage_store import PassageHit
from supportflow.knowledge.retrieval import DocumentMatch
from supportflow.llm.offline import MAX_REPLY_CHARS, compose

STEPS = "\n".join(
    f"{n}. Step {n}: do the thing that this long step number {n} of the setup describes in full."
    for n in range(1, 13)
)
ARTICLE = f"""Setup takes a few minutes. To set it up, follow these steps:

{STEPS}

If the light stays orange, restart the gateway. Then wait two minutes.

You can pay with:

- A card.
- PayPal, e.g. from the app.
- A bank transfer from a U.S. bank, which takes longer than the other ways."""


def matched(*sentences: str) -> DocumentMatch:
    """The article as retrieval returns it, `sentences` its best sentence units."""
    hits = tuple(
        PassageHit(Passage("gw", "Gateway setup", "home", i, text, SENTENCE), 0.8 - i / 100)
        for i, text in enumerate(sentences)
    )
    return DocumentMatch("gw", "Gateway setup", "home", 0.7, 1.2, (), hits)


def test_a_lead_in_brings_its_list_from_the_first_step_and_links_the_rest() -> None:
    text = compose(parse_article(ARTICLE), matched("To set it up, follow these steps:"))
    lines = text.split("\n")
    assert lines[0] == "Setup takes a few minutes. To set it up, follow these steps:"
    steps = [line for line in lines if line[:1].isdigit()]
    assert steps[0].startswith("1. Step 1:")
    assert [int(line.split(".")[0]) for line in steps] == list(range(1, len(steps) + 1))
    assert all(line in STEPS.split("\n") for line in steps)  # whole items, as written
    assert len(steps) < 12
    assert text.endswith("The rest is in the article: [Gateway setup](/help/gw)")
    assert len(text) <= MAX_REPLY_CHARS
    assert "..." not in text


def test_a_later_step_still_starts_the_answer_at_step_one() -> None:
    step_nine = "Step 9: do the thing that this long step number 9 of the setup describes in full."
    text = compose(parse_article(ARTICLE), matched(step_nine))
    assert "\n1. Step 1:" in text


def test_among_options_the_one_that_answered_is_kept() -> None:
    text = compose(parse_article(ARTICLE), matched("PayPal, e.g. from the app."))
    assert text == (
        "You can pay with:\n\n- A card.\n- PayPal, e.g. from the app.\n"
        "- A bank transfer from a U.S. bank, which takes longer than the other ways."
    )


def test_sentences_come_whole_in_reading_order() -> None:
    text = compose(
        parse_article(ARTICLE),
        matched("Then wait two minutes.", "If the light stays orange, restart the gateway."),
    )
    assert text == "If the light stays orange, restart the gateway. Then wait two minutes."


def test_without_a_matching_sentence_the_best_passage_s_start_answers() -> None:
    article = parse_article("First sentence here. Second one.\n\nOther paragraph.")
    passage = Passage("gw", "T", "c", 0, "Other paragraph.")
    document = DocumentMatch("gw", "T", "c", 0.5, 0.5, (PassageHit(passage, 0.5),), ())
    assert compose(article, document) == "Other paragraph."
