"""Which team an escalation goes to first: the one whose topics match the chat best.

A chat's topics are what the bot understood of it: the knowledge-base categories of the
articles it answered from or weighed (the hand-over reply's included) and the escalation's
reasons. A team takes a list of categories and a list of reasons. A reason match outranks
category matches (the reason names the situation, a billing dispute say; the categories
only what was asked about), then the team with more matches wins, then the first by name,
so the choice is the same on every node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from supportflow.store import TeamRecord


@dataclass(frozen=True)
class ChatTopics:
    """What a chat is about, lower-case: its articles' categories and its escalation reasons."""

    categories: frozenset[str]
    reasons: frozenset[str]

    @classmethod
    def of(cls, categories: Iterable[str], reasons: Iterable[str]) -> ChatTopics:
        return cls(_names(categories), _names(reasons))


def choose_team(teams: Sequence[TeamRecord], topics: ChatTopics) -> TeamRecord | None:
    """The team to alert first, or None when no team takes any of the chat's topics."""
    best: tuple[int, int] = (0, 0)
    chosen: TeamRecord | None = None
    for team in sorted(teams, key=lambda t: (t.name.lower(), t.team_id)):
        score = (
            len(topics.reasons & set(team.reasons)),
            len(topics.categories & set(team.categories)),
        )
        if score > best:
            best, chosen = score, team
    return chosen


def reply_categories(metadata: Mapping[str, object]) -> list[str]:
    """The categories a stored bot reply's metadata names (`categories`, issue 25)."""
    found = metadata.get("categories")
    return [str(name) for name in found] if isinstance(found, list) else []


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(value.strip().lower() for value in values if value.strip())
