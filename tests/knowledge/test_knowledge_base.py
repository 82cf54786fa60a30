"""The knowledge base on the real model and a real embedded Chroma store."""

from __future__ import annotations

import pytest

from supportflow.errors import InvalidInput, NotFound, PayloadTooLarge
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.llm.answer import calibrated_confidence
from supportflow.llm.offline import OfflineAnswerer
from tests.knowledge.shared import ARTICLES

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("I'm travelling to Spain next week, can I use my phone there?", "roaming"),
        ("forgot the code for my voice messages", "voicemail"),
        ("how do I get the digital sim working", "esim"),
        ("my mobile internet stopped working, which access point should I use", "apn"),
        ("how do I activate my esmi", "esim"),  # typo
    ],
)
async def test_paraphrased_questions_find_the_right_article(
    articles_kb: KnowledgeBase, question: str, expected: str
) -> None:
    retrieval = await articles_kb.search(question)
    assert retrieval.best is not None
    assert retrieval.best.doc_id == expected


async def test_offline_answer_cites_the_article_and_is_confident(
    articles_kb: KnowledgeBase,
) -> None:
    question = "How much is the roaming day pass?"
    retrieval = await articles_kb.search(question)
    answer = await OfflineAnswerer().answer(question, retrieval, [])
    assert answer.cited == ("roaming",)
    assert "10 dollars" in answer.text
    assert "Source:" not in answer.text  # the citation is `cited`, not a line of text
    assert answer.confidence >= 0.6


@pytest.mark.parametrize(
    "question", ["who won the football match last night", "give me a recipe for banana bread"]
)
async def test_off_topic_questions_get_low_confidence(
    articles_kb: KnowledgeBase, question: str
) -> None:
    assert calibrated_confidence(await articles_kb.search(question)) < 0.6


async def test_context_stays_within_the_limit(articles_kb: KnowledgeBase) -> None:
    retrieval = await articles_kb.search("voicemail pin")
    context = retrieval.context(300)
    assert context
    assert sum(len(hit.passage.text) for hit in context) <= 300


async def test_ingest_list_get_and_delete(empty_kb: KnowledgeBase) -> None:
    result = await empty_kb.ingest(ARTICLES[:2])
    assert result.ingested == 2
    assert result.ids == ("roaming", "voicemail")
    listed = await empty_kb.list_documents()
    assert {doc.id for doc in listed} == {"roaming", "voicemail"}
    detail = await empty_kb.get_document("voicemail")
    assert detail.summary.title == "Setting up voicemail"
    assert await empty_kb.delete_document("voicemail") == detail.summary.passages
    with pytest.raises(NotFound):
        await empty_kb.get_document("voicemail")
    with pytest.raises(NotFound):
        await empty_kb.delete_document("voicemail")
    assert (await empty_kb.search("voicemail pin")).best.doc_id == "roaming"  # type: ignore[union-attr]


async def test_reingesting_an_id_replaces_all_its_passages(empty_kb: KnowledgeBase) -> None:
    long_text = "\n\n".join(f"Old paragraph {n} about billing cycles." * 5 for n in range(10))
    await empty_kb.ingest([Document("bill", "Billing", "billing", long_text)])
    assert (await empty_kb.get_document("bill")).summary.passages > 1
    await empty_kb.ingest([Document("bill", "Billing", "billing", "New text about autopay.")])
    detail = await empty_kb.get_document("bill")
    assert [p.text for p in detail.passages] == ["New text about autopay."]
    assert await empty_kb.passage_count() == 1


async def test_ids_are_generated_when_missing(empty_kb: KnowledgeBase) -> None:
    result = await empty_kb.ingest([Document("", "Data usage", "data", "Check data in the app.")])
    assert result.ids[0].startswith("data-usage-")


@pytest.mark.parametrize(
    ("documents", "error", "code"),
    [
        ([], InvalidInput, "no_documents"),
        ([Document("a", "T", "c", "   ")], InvalidInput, "empty_content"),
        ([Document("a", " ", "c", "text")], InvalidInput, "missing_title"),
        ([Document("a", "T", "c", "x" * 5001)], PayloadTooLarge, "document_too_large"),
        (
            [Document(f"d{n}", "T", "c", "text") for n in range(6)],
            PayloadTooLarge,
            "too_many_documents",
        ),
    ],
)
async def test_bad_batches_are_refused(
    empty_kb: KnowledgeBase, documents: list[Document], error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as raised:
        await empty_kb.ingest(documents)
    assert getattr(raised.value, "code", None) == code
    assert await empty_kb.passage_count() == 0


async def test_a_lead_in_sentence_brings_its_steps(empty_kb: KnowledgeBase) -> None:
    content = (
        "Cancelling needs a call to our team.\n\nTo cancel a line or your whole account:\n"
        "1. Call 611 from your phone.\n2. Have your account PIN ready."
    )
    await empty_kb.ingest([Document("cancel", "Cancelling your service", "service", content)])
    question = "how do I cancel a line"
    answer = await OfflineAnswerer().answer(question, await empty_kb.search(question), [])
    # The lead-in, then its steps as the article numbers them: a Markdown list.
    assert answer.text == (
        "To cancel a line or your whole account:\n\n"
        "1. Call 611 from your phone.\n2. Have your account PIN ready."
    )
