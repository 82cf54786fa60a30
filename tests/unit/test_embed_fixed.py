"""Texts the configuration fixes are embedded once per process and encoder (no model)."""

from __future__ import annotations

from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.sentence_encoder import Matrix
from tests.fakes import WordHashEncoder


class CountingEncoder(WordHashEncoder):
    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> Matrix:
        self.encoded += texts
        return super().encode(texts)


async def test_a_second_app_on_the_same_encoder_reuses_the_vectors() -> None:
    encoder = CountingEncoder()
    exemplars = ["hi", "thanks a lot", "hi", "let me talk to a person"]
    first = await Embedder(encoder, "first app").embed_fixed(exemplars)
    assert encoder.encoded == ["hi", "thanks a lot", "let me talk to a person"]
    assert first == await Embedder(encoder, "first app").embed_documents(exemplars)

    encoder.encoded.clear()
    second = await Embedder(encoder, "second app").embed_fixed([*exemplars, "bye"])
    assert encoder.encoded == ["bye"]  # only the text no app had asked for
    assert second[:4] == first


async def test_another_encoder_encodes_its_own() -> None:
    one, other = CountingEncoder(), CountingEncoder()
    await Embedder(one, "one").embed_fixed(["hi"])
    await Embedder(other, "other").embed_fixed(["hi"])
    assert other.encoded == ["hi"]
