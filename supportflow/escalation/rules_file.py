"""Reading the escalation rules file (TOML) into typed, validated rules.

The shipped default is `supportflow/escalation/rules.toml`; `SUPPORTFLOW_RULES_PATH` points
at another. A malformed file stops the server at start-up with the offending key named.
"""

from __future__ import annotations

import tomllib
from dataclasses import MISSING, dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from supportflow.errors import ConfigurationError


@dataclass(frozen=True)
class NegationRules:
    negators: tuple[str, ...]
    window: int
    clause_breakers: tuple[str, ...]


@dataclass(frozen=True)
class CancellationRules:
    strong_verbs: tuple[str, ...]
    weak_verbs: tuple[str, ...]
    container_words: tuple[str, ...]
    objects: tuple[str, ...]
    object_window: int
    self_service_objects: tuple[str, ...]
    nouns: tuple[str, ...]
    question_words: tuple[str, ...]
    # "what if I cancel", "is there a fee if I cancel": a question about cancelling, not a
    # request. Optional, so older rules files still load.
    hypothetical_words: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefundRules:
    terms: tuple[str, ...]
    policy_words: tuple[str, ...]


@dataclass(frozen=True)
class PaymentProblemRules:
    topics: tuple[str, ...]
    problems: tuple[str, ...]
    window: int


@dataclass(frozen=True)
class StaffDealingsRules:
    """The customer retelling what the company's people said, wanted or refused."""

    subjects: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    window: int = 0


@dataclass(frozen=True)
class HumanRequestRules:
    verbs: tuple[str, ...]
    people: tuple[str, ...]
    window: int
    terms: tuple[str, ...]


@dataclass(frozen=True)
class SemanticRules:
    threshold: float
    margin: float
    neutral: tuple[str, ...]
    exemplars: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class EscalationRules:
    """Everything the escalation policy reads from the rules file."""

    min_confidence: float
    max_exchanges: int
    negation: NegationRules
    frustration_terms: tuple[str, ...]
    unconditional_frustration_terms: tuple[str, ...]
    sensitive_terms: tuple[str, ...]
    cancellation: CancellationRules
    refund: RefundRules
    payment_problem: PaymentProblemRules
    human_request: HumanRequestRules
    semantic: SemanticRules
    # Optional (an older rules file without [sensitive_topic.staff_dealings] still loads,
    # with the rule off).
    staff_dealings: StaffDealingsRules = StaffDealingsRules()


def default_rules_path() -> Path:
    return Path(str(resources.files("supportflow.escalation") / "rules.toml"))


def load_rules(path: Path | None = None) -> EscalationRules:
    """Parse and validate a rules file (the shipped default when `path` is None)."""
    rules_path = path or default_rules_path()
    try:
        data = tomllib.loads(rules_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"cannot read rules file {rules_path}: {error}") from error
    reader = _Section(data, str(rules_path))
    sensitive = reader.section("sensitive_topic")
    semantic = reader.section("semantic")
    exemplars = semantic.section("exemplars")
    return EscalationRules(
        min_confidence=reader.number("min_confidence"),
        max_exchanges=int(reader.number("max_exchanges")),
        negation=NegationRules(**reader.section("negation").fields(NegationRules)),
        frustration_terms=reader.section("frustration").words("terms"),
        unconditional_frustration_terms=reader.section("frustration").words("unconditional_terms"),
        sensitive_terms=sensitive.words("terms"),
        cancellation=CancellationRules(
            **sensitive.section("cancellation").fields(CancellationRules)
        ),
        refund=RefundRules(**sensitive.section("refund").fields(RefundRules)),
        payment_problem=PaymentProblemRules(
            **sensitive.section("payment_problem").fields(PaymentProblemRules)
        ),
        human_request=HumanRequestRules(
            **reader.section("human_requested").fields(HumanRequestRules)
        ),
        staff_dealings=StaffDealingsRules(
            **sensitive.optional_section("staff_dealings").fields(StaffDealingsRules)
        ),
        semantic=SemanticRules(
            threshold=semantic.number("threshold"),
            margin=semantic.number("margin"),
            neutral=semantic.words("neutral"),
            exemplars={reason: exemplars.words(reason) for reason in exemplars.names()},
        ),
    )


class _Section:
    """Typed access to one TOML table, naming `file:key` in every error."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self._data = data
        self._where = where

    def names(self) -> list[str]:
        return list(self._data)

    def section(self, key: str) -> _Section:
        value = self._data.get(key)
        if not isinstance(value, dict):
            raise ConfigurationError(f"{self._where}: [{key}] must be a table")
        return _Section(value, f"{self._where}:{key}")

    def optional_section(self, key: str) -> _Section:
        """`section`, or an empty one when the file has no such table."""
        return self.section(key) if key in self._data else _Section({}, f"{self._where}:{key}")

    def number(self, key: str) -> float:
        value = self._data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigurationError(f"{self._where}: {key} must be a number")
        return float(value)

    def words(self, key: str) -> tuple[str, ...]:
        value = self._data.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigurationError(f"{self._where}: {key} must be a list of non-empty strings")
        return tuple(value)

    def fields(self, shape: type[Any]) -> dict[str, Any]:
        """Keyword arguments for the dataclass `shape`: ints, floats or word lists."""
        arguments: dict[str, Any] = {}
        defaults = getattr(shape, "__dataclass_fields__", {})
        for name, kind in shape.__annotations__.items():
            declared = defaults.get(name)
            if name not in self._data and declared is not None and declared.default != MISSING:
                continue
            if kind == "int":
                arguments[name] = int(self.number(name))
            elif kind == "float":
                arguments[name] = self.number(name)
            else:
                arguments[name] = self.words(name)
        return arguments
