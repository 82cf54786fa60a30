"""The summary report: chats, escalations, waits, handle times, CSAT and thumbs in a range."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from supportflow.store import Store
from supportflow.store.reports import RatingCounts, TeamEscalation, ThumbCounts


@dataclass(frozen=True)
class Durations:
    count: int
    p50_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None

    @classmethod
    def of(cls, seconds: list[float]) -> Durations:
        if not seconds:
            return cls(0, None, None, None)
        p50, p90 = np.percentile(seconds, [50, 90])
        return cls(len(seconds), round(float(p50), 3), round(float(p90), 3), _mean(seconds))


@dataclass(frozen=True)
class AgentHandling:
    agent_id: str
    handle_time: Durations


@dataclass(frozen=True)
class TeamFigures:
    """One team's share of the escalations (team_id None: those routed to no team)."""

    team_id: str | None
    name: str | None
    escalations: int
    widened: int  # of those, alerted to everyone (the team's time ran out, or nobody was on)
    time_to_first_claim: Durations
    handle_time: Durations


@dataclass(frozen=True)
class DayOfEscalations:
    day: str  # YYYY-MM-DD (UTC)
    by_reason: dict[str, int]


@dataclass(frozen=True)
class Summary:
    since: str
    until: str
    chats: int
    closed: int
    bot_resolved: int
    bot_resolved_share: float | None  # of closed chats
    escalations: int
    escalations_by_reason: dict[str, int]
    escalations_by_day: list[DayOfEscalations]
    time_to_first_claim: Durations
    handle_time: Durations
    handle_time_by_agent: list[AgentHandling]
    by_team: list[TeamFigures]
    csat: RatingCounts
    thumbs: ThumbCounts
    notes: list[str] = field(default_factory=list)


async def summarise(store: Store, since: str, until: str) -> Summary:
    """Everything the summary report shows for [since, until)."""
    counts = await store.chat_counts(since, until)
    by_day: dict[str, dict[str, int]] = defaultdict(dict)
    by_reason: dict[str, int] = defaultdict(int)
    for day, reason, count in await store.escalations_by_day_and_reason(since, until):
        by_day[day][reason] = count
        by_reason[reason] += count
    handled = await store.handle_times(since, until)
    per_agent: dict[str, list[float]] = defaultdict(list)
    for claim in handled:
        per_agent[claim.agent_id].append(claim.seconds)
    csat = await store.rating_counts(since, until)
    thumbs = await store.thumb_counts(since, until)
    notes: list[str] = []
    return Summary(
        since=since,
        until=until,
        chats=counts.chats,
        closed=counts.closed,
        bot_resolved=counts.bot_resolved,
        bot_resolved_share=round(counts.bot_resolved / counts.closed, 4) if counts.closed else None,
        escalations=await store.escalation_total(since, until),
        escalations_by_reason=dict(sorted(by_reason.items(), key=lambda item: -item[1])),
        escalations_by_day=[DayOfEscalations(day, reasons) for day, reasons in by_day.items()],
        time_to_first_claim=Durations.of(await store.claim_waits(since, until)),
        handle_time=Durations.of([claim.seconds for claim in handled]),
        handle_time_by_agent=[
            AgentHandling(agent, Durations.of(seconds))
            for agent, seconds in sorted(per_agent.items())
        ],
        by_team=await _by_team(store, since, until),
        csat=csat,
        thumbs=thumbs,
        notes=notes,
    )


async def _by_team(store: Store, since: str, until: str) -> list[TeamFigures]:
    """Each team's escalations, waits and handle times; teams by name, no team last."""
    grouped: dict[str | None, list[TeamEscalation]] = defaultdict(list)
    for escalation in await store.team_escalations(since, until):
        grouped[escalation.team_id].append(escalation)
    figures = [
        TeamFigures(
            team_id=team_id,
            name=next((e.team_name for e in rows if e.team_name), None),
            escalations=len(rows),
            widened=sum(e.widened for e in rows),
            time_to_first_claim=Durations.of(
                [e.claim_wait for e in rows if e.claim_wait is not None]
            ),
            handle_time=Durations.of([e.handle_time for e in rows if e.handle_time is not None]),
        )
        for team_id, rows in grouped.items()
    ]
    return sorted(figures, key=lambda f: (f.team_id is None, (f.name or f.team_id or "").lower()))


def _mean(values: list[float]) -> float:
    return round(sum(values) / len(values), 3)
