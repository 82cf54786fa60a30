"""One bot turn's calls to the model and to Chroma: how many, and how big (batch shapes, not
clocks). A follow-up's two readings are embedded in one encode and queried in one Chroma
call for both kinds of unit (Chroma is idle here); the answer is the one the sequential
reading gave. Rows count distinct texts the model encodes: a message that is one clause is
embedded once for the dialogue-act check, retrieval and the escalation rules, so a
regression that re-adds a row fails here."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from supportflow.bot.responder import BotResponder
from supportflow.bot.runtime import build_policy
from supportflow.conversation.acts import DialogueActs
from supportflow.conversation.config import load_conversation_rules
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.batching import BatchPolicy
from supportflow.knowledge.embedder import Embedder
from supportflow.knowledge.passage_store import PassageStore
from supportflow.knowledge.retrieval import Retriever
from supportflow.knowledge.title_store import TitleStore
from supportflow.llm.offline import OfflineAnswerer
from supportflow.metrics import Metrics
from supportflow.rooms.responder import Reply, RoomView, Turn
from supportflow.settings import Settings
from tests.knowledge.shared import LIMITS

FIRST = "How do I set up voicemail?"
FOLLOW_UP = "and what if I forget the PIN?"


class CountedCollection:
    """A Chroma collection that records the name of every method called on it."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return found(*args, **kwargs)

        return counted


class Observed:
    """A responder over the shared model and collection, counting its own batches."""

    def __init__(self, embedder: Embedder, knowledge: KnowledgeBase) -> None:
        self.encodes: list[int] = []  # requests per query encode (before identical texts merge)
        self.metrics = Metrics()  # vector-query batches and the rows the model encoded
        self.embedder = Embedder(
            embedder.encoder,
            embedder.model_name,
            BatchPolicy(max_batch=32, max_wait=0.0),
            observe=lambda size, _seconds: self.encodes.append(size),
            metrics=self.metrics,
        )
        self.collection = CountedCollection(knowledge.store._collection)
        self.titles = CountedCollection(knowledge.store.titles.collection)
        store = PassageStore(
            knowledge.store._client, self.collection, TitleStore(self.titles), metrics=self.metrics
        )
        self.knowledge = KnowledgeBase(
            self.embedder, store, Retriever(self.embedder, store), LIMITS
        )

    async def responder(self, settings: Settings) -> BotResponder:
        policy = await build_policy(settings, self.embedder)
        rules = load_conversation_rules(settings.conversation_path)
        acts = await DialogueActs.build(rules.dialogue_acts, self.embedder)
        return BotResponder(self.knowledge, OfflineAnswerer(), policy, acts)

    def vector_queries(self) -> tuple[float, float]:
        """(Chroma calls, query vectors in them) so far."""
        sample = self.metrics.registry.get_sample_value
        return (
            sample("supportflow_vector_query_batch_size_count") or 0.0,
            sample("supportflow_vector_query_batch_size_sum") or 0.0,
        )

    def rows(self) -> float:
        """Distinct texts the model has encoded so far (all calls)."""
        return self.metrics.registry.get_sample_value("supportflow_embedding_batch_size_sum") or 0.0

    def vector_queries_since(self, before: tuple[float, float]) -> tuple[float, float]:
        now = self.vector_queries()
        return (now[0] - before[0], now[1] - before[1])


def transcript(first: Reply) -> Sequence[Turn]:
    metadata = {
        "query": first.query,
        "confidence": first.confidence,
        "sources": [{"id": s.id, "title": s.title, "score": s.score} for s in first.sources],
    }
    return [Turn("user", FIRST), Turn("bot", first.text, metadata)]


async def test_a_follow_up_embeds_and_queries_both_readings_together(
    embedder: Embedder, articles_kb: KnowledgeBase, settings: Settings
) -> None:
    observed = Observed(embedder, articles_kb)
    responder = await observed.responder(settings)
    first = await responder.respond(RoomView("r", "s", 1), [], FIRST)
    assert first.sources and first.sources[0].id == "voicemail" and not first.escalate

    observed.encodes.clear()
    before, rows = observed.vector_queries(), observed.rows()
    reply = await responder.respond(RoomView("r", "s", 2), transcript(first), FOLLOW_UP)
    # One encode: the act check's clause ("what if i forget the pin", without the "and"),
    # the message (retrieval and the rules' semantic layer share its row) and the fused
    # reading.
    assert len(observed.encodes) == 1
    assert observed.rows() - rows == 3
    # One Chroma call for both kinds (passages, sentences) with both readings' vectors.
    assert observed.vector_queries_since(before) == (1, 2)
    # The follow-up leans on the first answer: its fused reading wins, as before.
    assert reply.query is not None and reply.query.startswith(FIRST)
    assert reply.sources[0].id == "voicemail"


async def test_a_first_message_searches_once(
    embedder: Embedder, articles_kb: KnowledgeBase, settings: Settings
) -> None:
    observed = Observed(embedder, articles_kb)
    responder = await observed.responder(settings)
    # Warm: the BM25 index is built and this question's units are in the unit cache
    # (there is no cache of question vectors, so the second turn embeds it again).
    await responder.respond(RoomView("r", "s", 1), [], "Which APN should I use?")
    observed.encodes.clear()
    observed.collection.calls.clear()
    observed.titles.calls.clear()
    before, rows = observed.vector_queries(), observed.rows()
    reply = await responder.respond(RoomView("r", "s", 1), [], "Which APN should I use?")
    # Nothing but one nearest-neighbour query reaches Chroma: no count(), no
    # metadata read (the write token is read only with a Chroma server, once per interval),
    # no get() of units already cached.
    assert observed.collection.calls == ["query"]
    assert observed.titles.calls == []  # read once, when the index was built
    assert reply.query == "Which APN should I use?"
    assert len(observed.encodes) == 1
    # One row: the message is one clause, so the act check reads the message's own vector.
    assert observed.rows() - rows == 1
    assert observed.vector_queries_since(before) == (1, 1)


async def test_a_one_clause_follow_up_embeds_two_rows(
    embedder: Embedder, articles_kb: KnowledgeBase, settings: Settings
) -> None:
    observed = Observed(embedder, articles_kb)
    responder = await observed.responder(settings)
    first = await responder.respond(RoomView("r", "s", 1), [], FIRST)
    before, rows = observed.vector_queries(), observed.rows()
    await responder.respond(RoomView("r", "s", 2), transcript(first), "What is the default PIN?")
    # The message (act check, retrieval, rules) and the fused reading.
    assert observed.rows() - rows == 2
    assert observed.vector_queries_since(before) == (1, 2)
