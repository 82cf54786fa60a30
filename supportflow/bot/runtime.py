"""The bot as the app sees it: opened once at start-up, closed at shutdown.

`open_bot` loads the embedding model in a worker thread (warmed up), opens the vector
store, embeds the escalation exemplars, loads the demo articles into an empty store when
`settings.demo_kb` is on, and builds the one `Responder` that rooms and `/api/ask` share:
Groq when `GROQ_API_KEY` is set, the offline grounded answerer otherwise.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from supportflow.bot.assist import AgentAssist
from supportflow.bot.responder import BotResponder
from supportflow.conversation.acts import DialogueActs
from supportflow.conversation.config import load_conversation_rules
from supportflow.escalation.policy import EscalationPolicy, WordRules
from supportflow.escalation.rules_file import load_rules
from supportflow.escalation.semantic import ExemplarIndex
from supportflow.escalation.tone import load_tone
from supportflow.knowledge.base import IngestLimits, KnowledgeBase
from supportflow.knowledge.batching import BatchPolicy
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from supportflow.knowledge.sources import demo_documents
from supportflow.llm.answer import Answerer
from supportflow.llm.condense import QuestionCondenser
from supportflow.llm.groq_answerer import GroqAnswerer
from supportflow.llm.offline import OfflineAnswerer
from supportflow.metrics import UNOBSERVED, Metrics
from supportflow.rooms.responder import Responder
from supportflow.settings import Settings

logger = logging.getLogger(__name__)


@dataclass
class BotRuntime:
    """The bot's parts that live as long as the server: its responder and knowledge base."""

    responder: Responder
    knowledge: KnowledgeBase
    provider: str
    groq: GroqAnswerer | None = field(default=None)
    # Articles and a draft for agents (bot/assist.py), from the same answerer as the bot.
    assist: AgentAssist | None = field(default=None)

    async def health(self) -> dict[str, Any]:
        """Components to merge into /api/health: name -> {"status": "ok"|"error", ...}."""
        embedder = self.knowledge.embedder
        described = _described(embedder)
        components: dict[str, Any] = {
            "embedder": {"status": "ok", **described},
            "llm": {"status": "ok", "provider": self.provider},
        }
        try:
            # One short encode: a loaded model that cannot embed is as down as no model.
            await embedder.embed_query("health check")
        except Exception as error:  # health must report, never raise
            components["embedder"] = {
                "status": "error",
                **described,
                "error": type(error).__name__,
            }
        try:
            passages = await self.knowledge.passage_count()
            components["vector_store"] = {"status": "ok", "passages": passages}
        except Exception as error:  # health must report, never raise
            components["vector_store"] = {"status": "error", "error": str(error)}
        if self.groq is not None:
            components["llm"]["fallbacks"] = dict(self.groq.failures)
        return components

    async def close(self) -> None:
        if self.groq is not None:
            await self.groq.close()
        await self.knowledge.store.close()


def _described(embedder: Embedder) -> dict[str, str]:
    """The model, the encoder running it, and why it is torch when ONNX was wanted."""
    described = {"model": embedder.model_name, "encoder": embedder.encoder_kind}
    if embedder.fallback_reason is not None:
        described["encoder_fallback"] = embedder.fallback_reason
    return described


async def open_bot(settings: Settings, metrics: Metrics = UNOBSERVED) -> BotRuntime:
    """Load the embedder, open the vector store, build the responder (off the event loop).

    The embedder, the vector store, retrieval and Groq count into `metrics`.
    """
    embedder = await Embedder.load(
        settings.embedding_model,
        _batch_policy(settings),
        metrics=metrics,
        encoder=settings.encoder,
        cache_dir=settings.encoder_dir,
    )
    return await assemble_bot(settings, embedder, metrics)


def _batch_policy(settings: Settings) -> BatchPolicy:
    return BatchPolicy(settings.batch_max_size, settings.batch_max_wait_ms / 1000)


async def assemble_bot(
    settings: Settings, embedder: Embedder, metrics: Metrics = UNOBSERVED
) -> BotRuntime:
    """The bot around a loaded `embedder`: what `open_bot` does once the model is in.

    Tests hand it an embedder over a stand-in encoder (tests/fakes.py), so everything else
    is the real bot without the model.
    """
    policy = _batch_policy(settings)
    store = await PassageStore.open(settings.chroma_dir, settings.chroma_url, policy, metrics)
    # The tone lexicon, read once before any message is. Social text's word counts wait for
    # the first message that needs them (social_text.words_ready).
    await asyncio.to_thread(load_tone)
    retriever = Retriever(embedder, store, metrics=metrics)
    knowledge = KnowledgeBase(
        embedder,
        store,
        retriever,
        IngestLimits(
            chunk_chars=settings.chunk_chars,
            overlap_chars=settings.chunk_overlap_chars,
            max_documents=settings.max_documents_per_ingest,
            max_document_chars=settings.max_document_chars,
        ),
        # Other nodes write to a Chroma server too; the embedded store is this process's own.
        check_seconds=settings.knowledge_check_seconds if settings.chroma_url else None,
    )
    escalation_policy = await build_policy(settings, embedder)
    if settings.demo_kb and await store.count() == 0:
        await load_demo_articles(knowledge)
    offline = OfflineAnswerer(knowledge.article_content)
    groq: GroqAnswerer | None = None
    answerer: Answerer = offline
    if settings.groq_api_key:
        groq = GroqAnswerer.connect(
            api_key=settings.groq_api_key,
            model=settings.groq_model,
            base_url=settings.groq_base_url,
            timeout_seconds=settings.groq_timeout_seconds,
            max_retries=settings.groq_max_retries,
            fallback=offline,
            context_chars=settings.context_chars,
            metrics=metrics,
        )
        answerer = groq
    rules = load_conversation_rules(settings.conversation_path)
    acts = await DialogueActs.build(rules.dialogue_acts, embedder)
    condenser = QuestionCondenser(groq.client, settings.groq_model) if groq is not None else None
    responder = BotResponder(knowledge, answerer, escalation_policy, acts, condenser)
    return BotRuntime(responder, knowledge, answerer.name, groq, AgentAssist(knowledge, answerer))


async def build_policy(settings: Settings, embedder: Embedder) -> EscalationPolicy:
    """The escalation policy from the rules file, with its exemplars embedded."""
    rules = load_rules(settings.rules_path)
    exemplars = await ExemplarIndex.build(
        embedder,
        rules.semantic.exemplars,
        rules.semantic.neutral,
        rules.semantic.threshold,
        rules.semantic.margin,
    )
    return EscalationPolicy(rules, WordRules(rules, embedder.known_words()), exemplars)


async def load_demo_articles(knowledge: KnowledgeBase) -> int:
    """Ingest the shipped telecom articles in batches; returns how many were loaded."""
    documents = demo_documents()
    # One ingest, whatever the REST limit per call: one encode and one write for all.
    await knowledge.ingest_trusted(documents)
    logger.info("loaded %d demo knowledge-base articles", len(documents))
    return len(documents)
