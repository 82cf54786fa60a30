"""An article's structure from its Markdown, and passages made of whole blocks."""

from __future__ import annotations

from supportflow.knowledge.article import BlockKind, help_path, parse_article, plain_text
from supportflow.knowledge.documents import Document, join_passages, split_passages

VOICEMAIL = """Nimbus voicemail is included. To set it up, follow the prompts:

1. Create a PIN of 4 to 7 digits. It can't be 1111.
2. Record your **name**.
3) Choose a greeting,
   or record your own.

- In the app, see [Voicemail](/help/voicemail).
- Call *86.

## Resetting the PIN

Open the app, e.g. Nimbus Mail. Then tap Reset."""


def test_blocks_keep_lists_numbers_and_markers_as_written() -> None:
    article = parse_article(VOICEMAIL)
    kinds = [block.kind for block in article.blocks]
    assert kinds == [
        BlockKind.PARAGRAPH,
        BlockKind.ITEM,
        BlockKind.ITEM,
        BlockKind.ITEM,
        BlockKind.ITEM,
        BlockKind.ITEM,
        BlockKind.HEADING,
        BlockKind.PARAGRAPH,
    ]
    first, second, third = article.blocks[1:4]
    assert (first.marker, first.number, first.list_index) == ("1.", 1, 0)
    # "3)" opens a new list in CommonMark (another delimiter), numbered as written.
    assert (third.marker, third.number, third.list_index) == ("3)", 3, 1)
    assert second.marked() == "2. Record your **name**."
    assert third.marked() == "3) Choose a greeting,\n   or record your own."
    assert third.text == "Choose a greeting, or record your own."
    bullet = article.blocks[4]
    assert (bullet.marker, bullet.numbered, bullet.number) == ("-", False, None)
    assert bullet.text == "In the app, see Voicemail."


def test_sentences_are_whole_and_abbreviations_do_not_end_them() -> None:
    article = parse_article(VOICEMAIL)
    assert [s.text for s in article.blocks[1].sentences] == [
        "Create a PIN of 4 to 7 digits.",
        "It can't be 1111.",
    ]
    assert [s.text for s in article.blocks[-1].sentences] == [
        "Open the app, e.g. Nimbus Mail.",
        "Then tap Reset.",
    ]
    assert article.locate("It can't be 1111.") == (1, 1)
    assert article.locate("Not in the article.") is None


def test_raw_html_is_text_and_markup_leaves_plain_text() -> None:
    article = parse_article("<b>Bold?</b> No: **this** is.")
    assert article.blocks[0].text == "<b>Bold?</b> No: this is."
    assert plain_text("See [the `APN` page](/help/apn).") == "See the APN page."
    assert help_path("a b/c") == "/help/a%20b%2Fc"


def test_a_list_that_fits_stays_whole_in_one_passage() -> None:
    doc = Document("v", "Voicemail", "calls", VOICEMAIL)
    passages = split_passages(doc, chunk_chars=800, overlap_chars=120)
    assert len(passages) == 1
    assert "follow the prompts:\n\n1. Create a PIN" in passages[0].text
    assert "\n2. Record your **name**.\n" in passages[0].text


def test_a_long_list_splits_between_items_with_whole_items_overlapping() -> None:
    steps = "\n".join(f"{n}. Step number {n} of the long procedure." for n in range(1, 21))
    doc = Document("s", "Steps", "c", "Do this:\n\n" + steps)
    passages = split_passages(doc, chunk_chars=200, overlap_chars=90)
    assert len(passages) > 3
    for passage in passages:
        assert len(passage.text) <= 200
        for line in passage.text.split("\n"):
            assert not line or line == "Do this:" or line.endswith("procedure.")
    # Each passage after the first opens with the last item(s) of the one before.
    first_line = passages[1].text.split("\n")[0]
    assert first_line in passages[0].text.split("\n")
    assert join_passages([p.text for p in passages]) == doc.content


def test_join_passages_says_an_overlap_once() -> None:
    assert join_passages(["A b. C d.", "C d. E f."]) == "A b. C d. E f."
    assert join_passages(["One.", "Two."]) == "One.\n\nTwo."
    assert join_passages([]) == ""
