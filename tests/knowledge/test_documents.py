from __future__ import annotations

import pytest

from supportflow.errors import InvalidInput
from supportflow.knowledge.documents import Document, split_passages, split_sentence_units
from supportflow.knowledge.sources import documents_from_bytes, markdown_document


def test_short_document_is_one_passage_keeping_its_metadata() -> None:
    doc = Document("d1", "Title", "billing", "One paragraph.\n\nAnother paragraph.")
    passages = split_passages(doc, chunk_chars=800, overlap_chars=100)
    assert len(passages) == 1
    assert (passages[0].doc_id, passages[0].title, passages[0].category) == (
        "d1",
        "Title",
        "billing",
    )
    assert passages[0].passage_id == "d1::0"


def test_long_document_splits_on_paragraphs_within_the_size() -> None:
    paragraphs = [f"Paragraph {n} says something useful about plans." for n in range(30)]
    doc = Document("d2", "T", "c", "\n\n".join(paragraphs))
    passages = split_passages(doc, chunk_chars=200, overlap_chars=0)
    assert len(passages) > 5
    assert all(len(p.text) <= 200 for p in passages)
    assert [p.position for p in passages] == list(range(len(passages)))
    # No paragraph is cut in two when overlap is off.
    assert all(part in paragraphs for p in passages for part in p.text.split("\n\n"))


def test_overlap_repeats_the_previous_passages_last_sentence() -> None:
    sentences = [f"Sentence number {n} is here." for n in range(40)]
    doc = Document("d3", "T", "c", " ".join(sentences))
    passages = split_passages(doc, chunk_chars=150, overlap_chars=60)
    first_of_second = passages[1].text.split("\n\n")[0]
    assert first_of_second.startswith("Sentence number")
    assert passages[0].text.endswith(first_of_second.split(". ")[-1])
    assert len(first_of_second) <= 60


def test_sentence_units_skip_fragments() -> None:
    doc = Document("d4", "T", "c", "Hi.\n\nTo reset your PIN open the account page now.")
    units = split_sentence_units(doc)
    assert [u.text for u in units] == ["To reset your PIN open the account page now."]
    assert units[0].passage_id == "d4::s0"


def test_markdown_front_matter_sets_id_title_and_category() -> None:
    doc = markdown_document("---\nid: esim\ntitle: eSIM help\ncategory: sim\n---\nBody text.", "x")
    assert (doc.id, doc.title, doc.category, doc.content) == (
        "esim",
        "eSIM help",
        "sim",
        "Body text.",
    )


def test_markdown_front_matter_lists_the_articles_examples() -> None:
    text = (
        "---\nid: outage\nexamples:\n  - everyone on my street is down\n"
        '  - "is it just me: no internet since 8"\ntitle: Checking an outage\n---\nBody.'
    )
    doc = markdown_document(text, "x")
    assert doc.examples == ("everyone on my street is down", "is it just me: no internet since 8")
    assert (doc.id, doc.title, doc.content) == ("outage", "Checking an outage", "Body.")
    # A list item under a key with a value is not an example, and no examples is none.
    assert markdown_document("---\ntitle: T\n  - stray\n---\nBody.", "x").examples == ()


def test_json_documents_carry_examples_as_a_list_of_strings() -> None:
    data = b'{"title": "A", "content": "a", "examples": ["my bill doubled", "why so much"]}'
    assert documents_from_bytes("kb.json", data)[0].examples == ("my bill doubled", "why so much")
    with pytest.raises(InvalidInput, match="examples must be a list of strings"):
        documents_from_bytes("kb.json", b'{"title": "A", "content": "a", "examples": "one"}')


def test_jsonl_upload_holds_one_document_per_line() -> None:
    data = b'{"title": "A", "content": "a"}\n{"id": "b", "title": "B", "content": "b"}\n'
    docs = documents_from_bytes("kb.jsonl", data)
    assert [(d.id, d.title) for d in docs] == [("", "A"), ("b", "B")]
