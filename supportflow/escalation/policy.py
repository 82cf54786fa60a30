"""The escalation decision: should a person take this conversation, and why.

Reasons (the exact strings the rooms and the agents' console show):
    low_confidence     the answer's confidence is below the rules' `min_confidence`
    long_conversation  more customer messages than `max_exchanges`
    frustration        anger, profanity, complaints, "still not working", shouting, a
                       clearly negative tone (tone.py)
    sensitive_topic    cancellations, refunds, payment problems, disputes, fraud, outages
    human_requested    the customer asks for a person
Every reason that fires is returned, in that order. Words and phrases decide first (see
`lexicon.py`); the semantic layer (`semantic.py`) adds reasons that words missed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from supportflow.escalation.lexicon import Hit, Lexicon, Negation, WordMatcher, near
from supportflow.escalation.rules_file import EscalationRules
from supportflow.escalation.semantic import ExemplarIndex
from supportflow.escalation.tone import sounds_negative
from supportflow.social_text import shouting
from supportflow.text import tokenize

LOW_CONFIDENCE = "low_confidence"
LONG_CONVERSATION = "long_conversation"
FRUSTRATION = "frustration"
SENSITIVE_TOPIC = "sensitive_topic"
HUMAN_REQUESTED = "human_requested"
REASON_ORDER = (LOW_CONFIDENCE, LONG_CONVERSATION, FRUSTRATION, SENSITIVE_TOPIC, HUMAN_REQUESTED)


@dataclass(frozen=True)
class EscalationDecision:
    """Whether to hand over, and every reason that fired."""

    reasons: tuple[str, ...]

    @property
    def escalate(self) -> bool:
        return bool(self.reasons)

    def adding(self, reason: str) -> EscalationDecision:
        """This decision with `reason` too, in the usual order."""
        fired = {*self.reasons, reason}
        return EscalationDecision(tuple(name for name in REASON_ORDER if name in fired))


class WordRules:
    """The word-and-phrase half of the policy (synchronous, microseconds)."""

    def __init__(self, rules: EscalationRules, known_words: frozenset[str]) -> None:
        # A word that appears in any rule is a real word, never a typo of another rule word
        # ("outage" is not a misspelt "outraged").
        rule_words = frozenset(word for term in _all_terms(rules) for word in tokenize(term))
        matcher = WordMatcher(rule_words, known_words | rule_words)

        def lexicon(terms: Sequence[str]) -> Lexicon:
            return Lexicon(terms, matcher)

        self._negation = Negation(
            rules.negation.negators, rules.negation.window, rules.negation.clause_breakers
        )
        self._frustration = lexicon(rules.frustration_terms)
        self._profanity = lexicon(rules.unconditional_frustration_terms)
        self._sensitive = lexicon(rules.sensitive_terms)
        cancel = rules.cancellation
        self._cancel_strong = lexicon(cancel.strong_verbs)
        self._cancel_weak = lexicon(cancel.weak_verbs)
        self._cancel_objects = lexicon(cancel.objects)
        self._containers = lexicon(cancel.container_words)
        self._self_service = lexicon(cancel.self_service_objects)
        self._cancel_nouns = lexicon(cancel.nouns)
        self._cancel_questions = lexicon(cancel.question_words)
        self._hypothetical = lexicon(cancel.hypothetical_words)
        self._object_window = cancel.object_window
        self._refund = lexicon(rules.refund.terms)
        self._refund_policy = lexicon(rules.refund.policy_words)
        self._pay_topics = lexicon(rules.payment_problem.topics)
        self._pay_problems = lexicon(rules.payment_problem.problems)
        self._pay_window = rules.payment_problem.window
        self._contact_verbs = lexicon(rules.human_request.verbs)
        self._people = lexicon(rules.human_request.people)
        self._human_terms = lexicon(rules.human_request.terms)
        self._human_window = rules.human_request.window
        staff = rules.staff_dealings
        self._staff = lexicon(staff.subjects)
        self._staff_verbs = lexicon(staff.verbs)
        self._staff_window = staff.window

    def reasons(self, text: str) -> set[str]:
        tokens = tokenize(text)
        found: set[str] = set()
        if self._profanity.find(tokens) or self._affirmed(self._frustration, tokens):
            found.add(FRUSTRATION)
        if (
            self._affirmed(self._sensitive, tokens)
            or self._cancellation(tokens)
            or self._refund_request(tokens)
            or self._payment_problem(tokens)
            or self._staff_dealings(tokens)
        ):
            found.add(SENSITIVE_TOPIC)
        if self._human_request(tokens):
            found.add(HUMAN_REQUESTED)
        return found

    def _affirmed(self, lexicon: Lexicon, tokens: Sequence[str]) -> list[Hit]:
        return [hit for hit in lexicon.find(tokens) if not self._negation.negated(tokens, hit)]

    def _cancellation(self, tokens: Sequence[str]) -> bool:
        objects = self._cancel_objects.find(tokens)
        routine = self._self_service.find(tokens)
        hypotheses = self._hypothetical.find(tokens)

        def asking(verb: Hit) -> bool:
            # "if I cancel": the condition word at most two words before the verb.
            return any(0 <= verb.start - word.end <= 2 for word in hypotheses)

        for verb in self._affirmed(self._cancel_strong, tokens):
            if asking(verb):
                continue
            if not any(near(verb, item, self._object_window) for item in routine):
                return True
        containers = self._containers.find(tokens)
        for verb in self._affirmed(self._cancel_weak, tokens):
            if asking(verb):
                continue
            for item in objects:
                if near(verb, item, self._object_window) and not any(
                    verb.end <= box.start < item.start for box in containers
                ):
                    return True
        questions = self._cancel_questions.find(tokens)
        for noun in self._affirmed(self._cancel_nouns, tokens):
            if not any(abs(question.start - noun.end) <= 1 for question in questions):
                return True
        return False

    def _refund_request(self, tokens: Sequence[str]) -> bool:
        return bool(self._affirmed(self._refund, tokens)) and not self._refund_policy.find(tokens)

    def _payment_problem(self, tokens: Sequence[str]) -> bool:
        topics = self._pay_topics.find(tokens)
        problems = self._affirmed(self._pay_problems, tokens)
        return any(
            near(a, b, self._pay_window) or near(b, a, self._pay_window)
            for a in topics
            for b in problems
        )

    def _staff_dealings(self, tokens: Sequence[str]) -> bool:
        """ "they wanted $75 to switch", "the agent told me", "they won't give me": a case
        already under way with the company's people (negation does not undo it: "they
        didn't say" is a dealing too)."""
        verbs = self._staff_verbs.find(tokens)
        return any(
            near(subject, verb, self._staff_window)
            for subject in self._staff.find(tokens)
            for verb in verbs
        )

    def _human_request(self, tokens: Sequence[str]) -> bool:
        if self._affirmed(self._human_terms, tokens):
            return True
        people = self._people.find(tokens)
        verbs = [v for v in self._affirmed(self._contact_verbs, tokens) if not _is_noun(tokens, v)]
        asked_to_contact = any(
            near(verb, person, self._human_window) for verb in verbs for person in people
        )
        # "can someone call me?", "have somebody ring us back": a person, then a contact
        # verb aimed at the customer.
        asked_to_be_contacted = any(
            near(person, verb, self._human_window) and _aimed_at_customer(tokens, verb)
            for verb in verbs
            for person in people
        )
        return asked_to_contact or asked_to_be_contacted


# After one of these a contact verb is a noun: "does my phone support eSIM?" asks about a
# phone, it does not ask to phone support. Grammar, not any topic's words.
_DETERMINERS = frozenset(
    ("a", "an", "the", "my", "your", "his", "her", "our", "their", "this", "that", "new", "old")
)


_CUSTOMER = frozenset(("me", "us", "back"))


def _is_noun(tokens: Sequence[str], verb: Hit) -> bool:
    return verb.start > 0 and tokens[verb.start - 1] in _DETERMINERS


def _aimed_at_customer(tokens: Sequence[str], verb: Hit) -> bool:
    """A request ("call me"), not a report of the past ("someone called me")."""
    past = tokens[verb.start].endswith("ed")
    return not past and verb.end < len(tokens) and tokens[verb.end] in _CUSTOMER


def _all_terms(rules: EscalationRules) -> list[str]:
    cancel, refund, payment, human, staff = (
        rules.cancellation,
        rules.refund,
        rules.payment_problem,
        rules.human_request,
        rules.staff_dealings,
    )
    return [
        *rules.frustration_terms,
        *rules.unconditional_frustration_terms,
        *rules.sensitive_terms,
        *cancel.strong_verbs,
        *cancel.weak_verbs,
        *cancel.objects,
        *cancel.container_words,
        *cancel.self_service_objects,
        *cancel.nouns,
        *cancel.question_words,
        *cancel.hypothetical_words,
        *refund.terms,
        *refund.policy_words,
        *payment.topics,
        *payment.problems,
        *human.verbs,
        *human.people,
        *human.terms,
        *staff.subjects,
        *staff.verbs,
    ]


class EscalationPolicy:
    """Combines the word rules, the semantic layer and the numeric thresholds."""

    def __init__(
        self, rules: EscalationRules, words: WordRules, exemplars: ExemplarIndex | None
    ) -> None:
        self.rules = rules
        self._words = words
        self._exemplars = exemplars

    async def decide(self, text: str, confidence: float, exchange_count: int) -> EscalationDecision:
        """Every reason to escalate `text`, given the answer's confidence and the room."""
        fired = self._words.reasons(text)
        if shouting(text) or sounds_negative(text):
            fired.add(FRUSTRATION)
        if self._exemplars is not None:
            fired |= await self._exemplars.reasons(text)
        if confidence < self.rules.min_confidence:
            fired.add(LOW_CONFIDENCE)
        if exchange_count > self.rules.max_exchanges:
            fired.add(LONG_CONVERSATION)
        return EscalationDecision(tuple(reason for reason in REASON_ORDER if reason in fired))
