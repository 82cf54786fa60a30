"""Article examples end to end: real embedded Chroma and the real model.

An article's examples (customers' wording of what it answers) are stored at ingest, read
back at an index build, replaced by a re-ingest and removed with their article; they order
the articles of the message's examples reading, which joins its rank fusion
(tests/unit/test_reading.py has the fusion's arithmetic).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from supportflow.conversation.reading import fuse_readings, read_message
from supportflow.errors import InvalidInput
from supportflow.knowledge.base import MAX_EXAMPLE_CHARS, MAX_EXAMPLES, KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import DocumentMatch, Retriever
from tests.knowledge.shared import ARTICLES, LIMITS, shared_embedder

pytestmark = pytest.mark.slow

# Worded as no article is: which of the four comes second for it is what the test finds out.
MESSAGE = "the thing on my phone that lets it work in other countries, how do I get it going"


def _with_examples(doc_id: str, *examples: str) -> list[Document]:
    return [
        dataclasses.replace(doc, examples=examples) if doc.id == doc_id else doc for doc in ARTICLES
    ]


async def open_knowledge_base(chroma_dir: Path) -> KnowledgeBase:
    """A knowledge base over `chroma_dir`, as a process starting opens it."""
    embedder = shared_embedder()
    store = await PassageStore.open(chroma_dir, None)
    return KnowledgeBase(embedder, store, Retriever(embedder, store), LIMITS)


def _ids(documents: tuple[DocumentMatch, ...]) -> list[str]:
    return [doc.doc_id for doc in documents]


async def test_examples_order_the_articles_of_the_examples_reading(tmp_path: Path) -> None:
    kb = await open_knowledge_base(tmp_path / "chroma")
    await kb.ingest(ARTICLES)
    plain = await kb.search(MESSAGE, with_examples=True)
    second = _ids(plain.documents)[1]
    assert plain.by_examples == ()  # no article has examples: the message reads as before
    assert _ids((await read_message(kb.search, MESSAGE)).documents) == _ids(plain.documents)

    # Each article's example is its title, but the second one's is worded like the message.
    worded = MESSAGE.replace("the thing", "that feature")
    await kb.ingest(
        [
            dataclasses.replace(doc, examples=(worded if doc.id == second else doc.title,))
            for doc in ARTICLES
        ]
    )
    found = await kb.search(MESSAGE, with_examples=True)
    assert _ids(found.documents) == _ids(plain.documents)  # the search itself is unchanged
    assert _ids(found.by_examples)[0] == second
    assert sorted(_ids(found.by_examples)) == sorted(_ids(found.documents))
    read = await read_message(kb.search, MESSAGE)
    assert _ids(read.documents) == _ids(fuse_readings(found, []).documents)

    # Re-ingested without them, the articles have none; deleted, their rows go with them.
    await kb.ingest(ARTICLES)
    assert (await kb.search(MESSAGE, with_examples=True)).by_examples == ()
    await kb.ingest(_with_examples(second, "an example"))
    assert (await kb.get_document(second)).examples == ("an example",)
    await kb.delete_document(second)
    assert (await kb.store.example_vectors()).doc_ids == ()


async def test_a_start_reads_the_stored_examples_back(tmp_path: Path) -> None:
    await (await open_knowledge_base(tmp_path / "chroma")).ingest(
        _with_examples("roaming", "going abroad next week", "phone in spain?")
    )
    again = await open_knowledge_base(tmp_path / "chroma")
    stored = await again.store.example_vectors()
    assert stored.doc_ids == ("roaming", "roaming")
    assert stored.vectors.shape == (2, 384)
    assert (await again.get_document("roaming")).examples == (
        "going abroad next week",
        "phone in spain?",
    )


@pytest.mark.parametrize(
    ("examples", "code"),
    [
        (("  ",), "empty_example"),
        (("x" * (MAX_EXAMPLE_CHARS + 1),), "example_too_long"),
        (tuple(f"example {i}" for i in range(MAX_EXAMPLES + 1)), "too_many_examples"),
    ],
)
def test_bad_examples_are_refused_with_what_is_wrong(
    empty_kb: KnowledgeBase, examples: tuple[str, ...], code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        empty_kb.validate(_with_examples("roaming", *examples))
    assert refused.value.code == code


def test_examples_are_stored_as_one_line_each_and_once(empty_kb: KnowledgeBase) -> None:
    checked = empty_kb.validate(
        _with_examples("roaming", "in spain\n next week", "in spain next week")
    )
    assert next(doc for doc in checked if doc.id == "roaming").examples == ("in spain next week",)
