"""BM25 over passages (bm25s): each document's best passage, normalised to the best."""

from __future__ import annotations

from supportflow.knowledge.documents import Passage
from supportflow.knowledge.lexical import LexicalIndex


def passage(doc_id: str, position: int, text: str) -> Passage:
    return Passage(doc_id, doc_id.title(), "test", position, text)


INDEX = LexicalIndex(
    [
        passage("roaming", 0, "Roaming abroad: turn on roaming before you travel."),
        passage("apn", 1, "The APN name is internet; other APN fields stay empty."),
        passage("billing", 0, "Your bill lists every charge of the month."),
        passage("apn", 0, "If mobile data does not work, check your settings."),
        passage("billing", 1, "Charges for roaming appear on the next bill."),
    ]
)


def test_best_document_scores_one_and_rare_terms_win() -> None:
    scores = INDEX.document_scores("what are the APN settings")
    assert scores["apn"] == 1.0
    assert set(scores) == {"apn"}


def test_each_document_counts_its_best_passage_and_stems_fold() -> None:
    scores = INDEX.document_scores("roaming charged")
    assert max(scores.values()) == 1.0
    assert set(scores) == {"roaming", "billing"}
    assert 0 < min(scores.values()) < 1


def test_no_scores_without_topic_words_or_passages() -> None:
    assert INDEX.document_scores("how do I") == {}
    assert INDEX.document_scores("zebra") == {}
    assert LexicalIndex([]).document_scores("roaming") == {}
