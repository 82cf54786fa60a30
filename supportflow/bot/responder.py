"""The bot's `Responder`: retrieve, answer, decide whether a person should take over.

Rooms call this for every customer message in `bot_active`, and `POST /api/ask` calls the
very same object, so what /api/ask reports is what the room would do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.bot.sources import citations, cited_sources
from supportflow.bot.support import SUPPORT_SPREAD, rival_fits_better
from supportflow.conversation.acts import DialogueAct, DialogueActs
from supportflow.conversation.clarify import (
    CLOSE_CALL,
    Pending,
    candidates,
    close_call,
    pending_from,
    picked,
    question_text,
)
from supportflow.conversation.context import (
    Memory,
    fuse,
    looks_dependent,
    memory_from,
    prefer_context,
    searchable,
)
from supportflow.conversation.off_topic import (
    OFF_TOPIC,
    categories_named,
    follows_off_topic,
    is_off_topic,
    off_topic_reply,
)
from supportflow.conversation.reading import read_message, reports_attempt
from supportflow.escalation.policy import (
    FRUSTRATION,
    LOW_CONFIDENCE,
    EscalationDecision,
    EscalationPolicy,
)
from supportflow.knowledge.base import KnowledgeBase
from supportflow.knowledge.retrieval import Retrieval
from supportflow.llm.answer import (
    Answer,
    Answerer,
    calibrated_confidence,
    retrieval_evidence,
)
from supportflow.llm.condense import QuestionCondenser
from supportflow.rooms.responder import Reply, RoomView, Source, Turn
from supportflow.rooms.streaming import not_streaming
from supportflow.social_text import words_ready

HANDOVER_TEXT = (
    "I'm not confident I can answer that correctly, so I'm bringing in a member of our team."
)
HANDOVER_SUFFIX = "A member of our team will take it from here."


class BotResponder:
    """Answers from the knowledge base with the configured answerer and escalation policy."""

    def __init__(
        self,
        knowledge: KnowledgeBase,
        answerer: Answerer,
        policy: EscalationPolicy,
        acts: DialogueActs | None = None,
        condenser: QuestionCondenser | None = None,
        close_call_margin: float = CLOSE_CALL,
        support_spread: float = SUPPORT_SPREAD,
    ):
        """`close_call_margin`: the lead over another topic's article below which the bot
        asks rather than answers (conversation/clarify.py); `support_spread`: how close
        behind a rival whose answer would fit better is asked about too (bot/support.py).
        Negative never asks: scripts/evaluate_close_calls.py measures what asking changes."""
        self._knowledge = knowledge
        self._answerer = answerer
        self._policy = policy
        self._acts = acts
        self._condenser = condenser
        self.close_call_margin = close_call_margin
        self.support_spread = support_spread

    @property
    def provider(self) -> str:
        return self._answerer.name

    async def respond(self, room: RoomView, history: Sequence[Turn], text: str) -> Reply:
        pending = pending_from(history)
        choice = picked(text, pending.suggestions) if pending is not None else None
        if pending is not None and choice is not None:
            return await self._answer_choice(pending, choice, history)
        memory = memory_from(history, self._policy.rules.min_confidence)
        # Everything this turn embeds goes into one micro-batch, and every vector query
        # into one Chroma call per kind: the dialogue-act check, the message's own
        # retrieval, the message as the escalation rules' semantic layer reads it (primed
        # below), and a follow-up's fused reading. The model costs per call far more than
        # per row, so searching both readings side by side costs little more than one;
        # one after the other cost a second encode and a second pair of Chroma round
        # trips. Groq's rewrite is a network call and only worth making once the message
        # is known not to be small talk: it still runs afterwards.
        await words_ready(text)
        clean = searchable(text)
        fused = (
            fuse(memory.query, clean) if memory is not None and self._condenser is None else None
        )
        embedder = self._knowledge.embedder
        act, own, vector, contextual = await asyncio.gather(
            self._classify(text),
            read_message(self._knowledge.search, clean),
            embedder.embed_query(clean),
            self._search(fused),
        )
        with embedder.primed({clean: vector}):
            if act is not None:
                # Small talk, unless a rule sees more in it ("ok, get me a person").
                rules = await self._policy.decide(clean, 1.0, 0)
                if not rules.escalate:
                    if pending is not None and act.name == "no":
                        # "No" to "Do you mean A, B or C?": none of them.
                        return handover(LOW_CONFIDENCE, act.name)
                    return act_reply(act)
            query, retrieval = await self._read_in_context(
                history, text, own, memory, Reading(fused, contextual)
            )
            asked = questions_asked(room, history)
            # What the reply will be is known before a word of the answer is written: its
            # confidence comes from retrieval (an answerer may lower it, never raise it),
            # and neither the close call nor the rival check reads it. So the answer
            # streams only when its words are the reply.
            verdict = await self._judge(
                clean, query, retrieval, calibrated_confidence(retrieval), asked, pending
            )
            answer = await self._answer_for(verdict, text, retrieval, history)
            if answer.confidence != verdict.confidence:
                # Groq said it cannot answer (words it never streams): decided again.
                verdict = await self._judge(
                    clean, query, retrieval, answer.confidence, asked, pending
                )
        decision = verdict.decision
        if verdict.asks:
            return clarifying(verdict.coin_toss, query, retrieval, answer)
        if decision.reasons == (LOW_CONFIDENCE,):
            unsure = await self._when_unsure(text, query, retrieval, answer, pending, history)
            if unsure is not None:
                return unsure
        named = citations(
            answer.cited, retrieval.documents, quoted=verdict.quotes, offered=not decision.escalate
        )
        return Reply(
            text=answer.text if not decision.escalate else handover_text(answer, verdict.quotes),
            confidence=answer.confidence,
            sources=named.sources,
            escalate=decision.escalate,
            reasons=decision.reasons,
            provider=answer.provider,
            query=query,
            related=named.related,
            considered=named.considered,
        )

    async def _judge(
        self,
        clean: str,
        query: str,
        retrieval: Retrieval,
        confidence: float,
        asked: int,
        pending: Pending | None,
    ) -> Verdict:
        """What the reply will be when the answer has `confidence`: whether a person takes
        over and why, and whether to ask which article the customer means."""
        decision = await self._policy.decide(clean, confidence, asked)
        if reports_attempt(clean):
            # The customer already did what an article would say ("I already restarted
            # it", "tried that, still nothing"): the next step is a person.
            decision = decision.adding(FRUSTRATION)
        # Confident, but the best articles of two topics are a coin toss: an answer would
        # as likely be from the wrong one. Ask instead; or, when a person takes over anyway,
        # hand over without quoting either.
        coin_toss = close_call(retrieval, self.close_call_margin) if pending is None else ()
        if not coin_toss and pending is None and LOW_CONFIDENCE not in decision.reasons:
            # Or the rival's answer would fit the question better than the best's: one more
            # encode (the question and both answers), only when a rival topic is this close.
            coin_toss = await rival_fits_better(
                query,
                retrieval,
                self._knowledge.article_content,
                self._knowledge.embedder.embed_documents,
                self.support_spread,
            )
        return Verdict(decision, coin_toss, confidence)

    async def _answer_for(
        self, verdict: Verdict, text: str, retrieval: Retrieval, history: Sequence[Turn]
    ) -> Answer:
        """The answer, streamed only when the customer reads its words; not written at all
        when nothing it could say would change the reply."""
        if verdict.quotes:
            return await self._answerer.answer(text, retrieval, history)
        if LOW_CONFIDENCE in verdict.decision.reasons:
            # Unsure already, and an answerer can only lower confidence: no Groq call.
            return unwritten(verdict.confidence, self._answerer.name)
        # A close call, asked about or handed over unquoted: Groq may yet say it cannot
        # answer, which changes the reply (the unsure one instead of the question, or
        # low_confidence among the hand-over's reasons).
        with not_streaming():
            return await self._answerer.answer(text, retrieval, history)

    async def _when_unsure(
        self,
        text: str,
        query: str,
        retrieval: Retrieval,
        answer: Answer,
        pending: Pending | None,
        history: Sequence[Turn],
    ) -> Reply | None:
        """Unsure for no other reason than confidence: ask once when a few articles are
        close; say what the bot covers when a short message is near nothing (off_topic.py);
        else None (the usual hand-over)."""
        if pending is not None:
            # Unsure again after "Do you mean ...?" or after an off-topic reply's topics:
            # the usual hand-over (a person, not a second list).
            return None
        offered = candidates(text, retrieval)
        if offered:
            return clarifying(offered, query, retrieval, answer)
        if not is_off_topic(searchable(text), retrieval):
            # Covered after all, or a long message saying what the customer needs that the
            # knowledge base has nothing for: the usual hand-over.
            return None
        if follows_off_topic(history):
            # Off the knowledge base twice in a row: a person, not a second list of topics.
            return handover(LOW_CONFIDENCE, OFF_TOPIC)
        categories = categories_named(await self._knowledge.catalogue())
        considered = cited_sources(retrieval.documents)
        return off_topic_reply(retrieval, categories, query, answer.provider, considered)

    async def _answer_choice(
        self, pending: Pending, choice: Source, history: Sequence[Turn]
    ) -> Reply:
        """Answer the clarified question from the article the customer picked."""
        query = f"{choice.title} {pending.query}"
        retrieval = await self._knowledge.search(query)
        if all(doc.doc_id != choice.id for doc in retrieval.documents):
            retrieval = await self._knowledge.search(choice.title)
        chosen = [doc for doc in retrieval.documents if doc.doc_id == choice.id]
        others = [doc for doc in retrieval.documents if doc.doc_id != choice.id]
        retrieval = Retrieval(query, tuple(chosen + others))
        answer = await self._answerer.answer(pending.query, retrieval, history)
        named = citations(answer.cited, retrieval.documents, quoted=True, offered=False)
        return Reply(
            text=answer.text,
            # The customer confirmed the article: as sure as the threshold asks, at least
            # (so the next follow-up builds on it).
            confidence=max(answer.confidence, self._policy.rules.min_confidence),
            sources=named.sources,
            provider=answer.provider,
            query=query,
            considered=named.considered,
        )

    async def _classify(self, text: str) -> DialogueAct | None:
        return await self._acts.classify(text) if self._acts is not None else None

    async def _search(self, query: str | None) -> Retrieval | None:
        return await self._knowledge.search(query) if query is not None else None

    async def _read_in_context(
        self,
        history: Sequence[Turn],
        text: str,
        own: Retrieval,
        memory: Memory | None,
        searched: Reading,
    ) -> tuple[str, Retrieval]:
        """The query to answer from, and its retrieval: `text` alone, or its contextual
        reading when that has the better evidence. The contextual reading is Groq's
        standalone rewrite when there is Groq and it works, else the fusion with the last
        confident answer's query (`searched`, already retrieved alongside `own`)."""
        if memory is None:
            return searchable(text), own
        fused, contextual = searched.query, searched.retrieval
        if fused is None or contextual is None:
            rewritten = None
            if self._condenser is not None:
                rewritten = await self._condenser.condense(history, text)
            fused = rewritten or fuse(memory.query, searchable(text))
            contextual = await self._knowledge.search(fused)
        if prefer_context(
            retrieval_evidence(own), retrieval_evidence(contextual), looks_dependent(text)
        ):
            return fused, contextual
        return searchable(text), own


@dataclass(frozen=True)
class Verdict:
    """What the reply to a message will be, decided before its answer is written."""

    decision: EscalationDecision
    # The articles to ask about rather than answer from (a close call), else ().
    coin_toss: tuple[Source, ...]
    # The answer's confidence it was decided for.
    confidence: float

    @property
    def asks(self) -> bool:
        """ "Do you mean A or B?" rather than an answer."""
        return bool(self.coin_toss) and not self.decision.escalate

    @property
    def quotes(self) -> bool:
        """Whether the customer reads the answer's words: an answer, or a hand-over that
        quotes it (`handover_text`)."""
        return not self.coin_toss and LOW_CONFIDENCE not in self.decision.reasons


@dataclass(frozen=True)
class Reading:
    """A contextual reading searched ahead, or (None, None) when none was."""

    query: str | None
    retrieval: Retrieval | None


def clarifying(
    offered: tuple[Source, ...], query: str, retrieval: Retrieval, answer: Answer
) -> Reply:
    """ "Do you mean: A, B or C?", the articles as quick replies (clarify.py)."""
    return Reply(
        text=question_text(offered),
        confidence=answer.confidence,
        provider=answer.provider,
        query=query,
        suggestions=offered,
        considered=cited_sources(retrieval.documents),
    )


def act_reply(act: DialogueAct) -> Reply:
    """The conversation file's reply to a dialogue act; some acts hand over."""
    reasons = (act.escalate,) if act.escalate else ()
    return Reply(
        text=act.reply,
        confidence=1.0,
        escalate=bool(reasons),
        reasons=reasons,
        provider="conversation",
        act=act.name,
    )


def handover(reason: str, act: str | None = None) -> Reply:
    """Hand over with the usual sentence, nothing answered."""
    return Reply(
        text=HANDOVER_TEXT,
        confidence=0.0,
        escalate=True,
        reasons=(reason,),
        provider="conversation",
        act=act,
    )


def questions_asked(room: RoomView, history: Sequence[Turn]) -> int:
    """Customer messages that were not small talk: what `long_conversation` counts."""
    small_talk = sum(
        1 for turn in history if turn.sender_type == "bot" and turn.metadata.get("act")
    )
    return max(1, room.exchange_count - small_talk)


def unwritten(confidence: float, provider: str) -> Answer:
    """An answer nobody wrote, for a reply that shows none of its words: what the reply
    takes from it is the confidence and the provider."""
    return Answer("", confidence, provider, ())


def handover_text(answer: Answer, quoted: bool) -> str:
    """What the customer reads when a person takes over: the answer when it is sound and
    the topic needs a person, then who comes next; else the hand-over sentence alone."""
    if not quoted:
        return HANDOVER_TEXT
    return f"{answer.text}\n\n{HANDOVER_SUFFIX}"
