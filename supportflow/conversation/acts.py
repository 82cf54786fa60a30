"""Dialogue acts: greetings, thanks, goodbyes, acknowledgements, yes/no, "are you a bot?".

A message is small talk when, once normalised (see `normalise`), it is short and every
clause of it is close to an exemplar of some act: by embedding cosine (paraphrases,
"much obliged") or by spelling similarity (typos the model cannot read, "thnaks").
"hi, how do I port my number?" is not small talk: its second clause is a question. The
exemplars, the replies and the thresholds live in the conversation file, so an operator
can add a language's greetings without touching code.
"""

from __future__ import annotations

import asyncio
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from supportflow.conversation.config import DialogueActRules

# The escalation reason of feedback that the bot did not help (an act, or a thumbs down).
BOT_UNHELPFUL = "bot_unhelpful"

_HANDLE = re.compile(r"(?<!\w)@\w+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# Clause boundaries: punctuation, and "and"/"but" joining two things said.
_CLAUSE_BREAK = re.compile(r"[,.;:!?\n]+|\s-\s|\b(?:and|but)\b")
_REPEATS = re.compile(r"([a-z])\1{2,}")  # "thaaanks" -> "thanks", "hiii" -> "hi"
_WORD = re.compile(r"[a-z0-9]+")
_CLOSING = " .!?"  # what may follow a one-clause message's words: "Thanks!", "How?"


class QueryEmbedder(Protocol):
    ignores_case: bool  # the model sees "Thanks" and "thanks" as the same text

    async def embed_query(self, text: str) -> list[float]: ...

    async def embed_fixed(self, texts: Sequence[str]) -> list[list[float]]: ...


@dataclass(frozen=True)
class DialogueAct:
    """A recognised act, the reply the conversation file gives it, and how sure we are."""

    name: str
    reply: str
    escalate: str | None
    score: float  # the weakest clause's similarity to its act


@dataclass(frozen=True)
class ClauseScore:
    clause: str
    act: str
    cosine: float
    spelling: float


def normalise(text: str, rules: DialogueActRules) -> str:
    """Lower-case words only: handles, URLs and symbols dropped, shorthand and emoji read."""
    text = html.unescape(text)
    text = _URL.sub(" ", _HANDLE.sub(" ", text))
    for symbol, reading in rules.emoji.items():
        text = text.replace(symbol, f" {reading} ")
    kept: list[str] = []
    for char in text.lower():
        category = unicodedata.category(char)
        if char in ",.;:!?\n-":
            kept.append(char)
        elif char == "'" or char == "\u2019":
            continue  # "that's" and "thats" are the same word to a customer
        elif category[0] in "LN" or char.isspace():
            kept.append(char)
        else:
            kept.append(" ")  # emoji, symbols, marks
    flat = _REPEATS.sub(r"\1", "".join(kept))
    words = [rules.abbreviations.get(word, word) for word in re.split(r"(\W)", flat)]
    return " ".join("".join(words).split())


def clauses(normalised: str) -> list[str]:
    """The clauses of a normalised message, without punctuation; empty ones dropped."""
    parts = (" ".join(_WORD.findall(part)) for part in _CLAUSE_BREAK.split(normalised))
    return [part for part in parts if part]


def word_count(normalised: str) -> int:
    return len(_WORD.findall(normalised))


class DialogueActs:
    """The act classifier: exemplars embedded once, messages compared clause by clause."""

    def __init__(
        self,
        rules: DialogueActRules,
        embedder: QueryEmbedder,
        exemplar_acts: list[str],
        exemplar_texts: list[str],
        exemplar_vectors: list[list[float]],
    ) -> None:
        self.rules = rules
        self._embedder = embedder
        self._acts = exemplar_acts
        self._texts = exemplar_texts
        # Spelling is compared word to word: "ok thank you" is not a misspelt "no thank you".
        self._words = [(i, text) for i, text in enumerate(exemplar_texts) if " " not in text]
        self._matrix: npt.NDArray[np.float64] = np.asarray(exemplar_vectors, dtype=np.float64)
        self._order = {name: index for index, name in enumerate(rules.ordered())}

    @classmethod
    async def build(cls, rules: DialogueActRules, embedder: QueryEmbedder) -> DialogueActs:
        acts: list[str] = []
        texts: list[str] = []
        for name, spec in rules.acts.items():
            for exemplar in spec.exemplars:
                acts.append(name)
                texts.append(" ".join(clauses(normalise(exemplar, rules))) or exemplar.lower())
        vectors = await embedder.embed_fixed(texts)
        return cls(rules, embedder, acts, texts, vectors)

    async def score_clauses(self, text: str) -> list[ClauseScore] | None:
        """Each clause's closest act, or None when the message is too long to be small talk."""
        normalised = normalise(text, self.rules)
        parts = clauses(normalised)
        if not parts or word_count(normalised) > self.rules.max_words:
            return None
        embedded = [self._embedded_text(text, part, len(parts)) for part in parts]
        vectors = await asyncio.gather(*(self._embedder.embed_query(t) for t in embedded))
        return [self._closest(part, vector) for part, vector in zip(parts, vectors, strict=True)]

    def _embedded_text(self, text: str, clause: str, count: int) -> str:
        """What is embedded for `clause`: the message itself when it is that one clause
        but for case (which an uncased model does not see) and closing punctuation. The
        bot embeds the message anyway (retrieval, the escalation rules' semantic layer);
        the same text in one micro-batch is one row, so a first message costs one row,
        not two. The closing "?" or "!" is the one thing the model then sees that the
        clause lacks; evaluate_acts.py measures it (docs/quality.md gives the figures)."""
        if count != 1 or not self._embedder.ignores_case:
            return clause
        bare = " ".join(text.lower().split()).rstrip(_CLOSING)
        return text if bare == clause else clause

    async def classify(self, text: str) -> DialogueAct | None:
        """The act `text` is, or None when it is (or holds) a question."""
        scored = await self.score_clauses(text)
        return self.decide(scored, self.rules.threshold)

    def decide(self, scored: list[ClauseScore] | None, threshold: float) -> DialogueAct | None:
        """The act of already-scored clauses at `threshold` (separate, for fitting it)."""
        if not scored:
            return None
        strengths = [self._strength(clause) for clause in scored]
        floors = [max(threshold, self.rules.acts[c.act].threshold or 0.0) for c in scored]
        if any(strength < floor for strength, floor in zip(strengths, floors, strict=True)):
            return None
        name = min((clause.act for clause in scored), key=lambda act: self._order[act])
        spec = self.rules.acts[name]
        return DialogueAct(name, spec.reply, spec.escalate, min(strengths))

    def _strength(self, clause: ClauseScore) -> float:
        spelling = clause.spelling if clause.spelling >= self.rules.spelling_threshold else 0.0
        return max(clause.cosine, spelling)

    def _closest(self, clause: str, vector: Sequence[float]) -> ClauseScore:
        cosines = self._matrix @ np.asarray(vector, dtype=np.float64)
        best_index = int(np.argmax(cosines))
        best_cosine = float(cosines[best_index])
        spelling_act, spelling = self._acts[best_index], 0.0
        # Short words ("k", "ty") are read by the abbreviations, not guessed at.
        if " " not in clause and len(clause) >= 3 and self._words:
            found = process.extractOne(clause, [text for _, text in self._words], scorer=fuzz.ratio)
            if found is not None:
                spelling = found[1] / 100
                spelling_act = self._acts[self._words[found[2]][0]]
        strong_spelling = spelling >= self.rules.spelling_threshold and spelling > best_cosine
        act = spelling_act if strong_spelling else self._acts[best_index]
        return ClauseScore(clause, act, best_cosine, spelling)
