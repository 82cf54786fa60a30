"""Expensive things the knowledge, llm and escalation tests share: one real model per run."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from supportflow.knowledge.base import IngestLimits, KnowledgeBase
from supportflow.knowledge.documents import Document
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.encoder_choice import load_encoder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from tests.support import shared_encoder_cache

# Small telecom articles written for the tests (the demo KB may change under them).
ARTICLES = (
    Document(
        "roaming",
        "International roaming",
        "travel",
        "Roaming lets you use your phone abroad. Turn on roaming in Settings before you "
        "travel.\n\nA day pass costs 10 dollars per day and includes your usual data and "
        "calls. Without a pass, data abroad is charged per megabyte.",
    ),
    Document(
        "voicemail",
        "Setting up voicemail",
        "calls",
        "To set up voicemail, press and hold 1 on the dial pad. Choose a four-digit PIN and "
        "record your greeting.\n\nIf you forget your voicemail PIN, you can reset it from the "
        "account page under Calls.",
    ),
    Document(
        "esim",
        "Activating an eSIM",
        "sim",
        "An eSIM is a digital SIM built into your phone. Scan the QR code we email you from "
        "Settings, then Mobile data, then Add eSIM.\n\nActivation takes about five minutes. "
        "Restart your phone if the new line does not show up.",
    ),
    Document(
        "apn",
        "APN settings for mobile data",
        "data",
        "If mobile data does not work, check your APN settings. The APN name is internet "
        "and the other fields stay empty.\n\nOn Android open Settings, Network, Access Point "
        "Names. On iPhone open Settings, Mobile Data, Mobile Data Network.",
    ),
)

LIMITS = IngestLimits(chunk_chars=800, overlap_chars=120, max_documents=5, max_document_chars=5000)


@functools.cache
def shared_embedder() -> Embedder:
    """The real all-MiniLM-L6-v2, loaded once per test worker (thread-safe, loop-independent),
    as the servers run it: ONNX Runtime on the run's export. Torch in every worker cost its
    import and slower encoding (a tenth of the suite's CPU); its agreement with this export is
    tests/knowledge/test_encoder.py's to check."""
    return Embedder(load_encoder(None, "onnx", shared_encoder_cache()).encoder, "all-MiniLM-L6-v2")


def open_knowledge_base(chroma_dir: Path) -> KnowledgeBase:
    embedder = shared_embedder()
    store = asyncio.run(PassageStore.open(chroma_dir, None))
    return KnowledgeBase(embedder, store, Retriever(embedder, store), LIMITS)
