"""SQL for the admin reports: counts and durations over a time range, and unanswered
questions. Ranges are half-open, [since, until), in the stored ISO-8601 UTC format, whose
text order is time order.

The SQL selects and filters; what SQLite and PostgreSQL spell differently (the elements of a
JSON array, the seconds between two timestamps) is computed in Python from the rows."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, bindparam, case, exists, func, or_, select

from supportflow.store.database import Database
from supportflow.store.query import Query
from supportflow.store.records import seconds_between
from supportflow.store.schema import escalations, message_feedback, messages, ratings, sessions

# Bot replies whose metadata carries one of these reasons did not answer the question.
UNANSWERED_REASONS = ("low_confidence", "bot_unhelpful", "bot_unavailable")
# The act of the bot's reply to a message the knowledge base does not cover.
OFF_TOPIC_ACT = "off_topic"


def _in_range(column: ColumnElement[str]) -> ColumnElement[bool]:
    """[since, until): the half-open range of a report."""
    return and_(column >= bindparam("since"), column < bindparam("until"))


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


_CLOSED = sessions.c.status == "closed"
_CHAT_COUNTS = Query(
    select(
        func.count(),
        _count_where(_CLOSED),
        _count_where(
            and_(_CLOSED, ~exists().where(escalations.c.session_id == sessions.c.session_id))
        ),
    ).where(_in_range(sessions.c.created_at))
)
_ESCALATION_DAYS = Query(
    select(func.substr(escalations.c.triggered_at, 1, 10), escalations.c.reasons).where(
        _in_range(escalations.c.triggered_at)
    )
)
_ESCALATION_TOTAL = Query(
    select(func.count()).select_from(escalations).where(_in_range(escalations.c.triggered_at))
)
_CLAIMED = escalations.c.status == "claimed"
_CLAIM_WAITS = Query(
    select(escalations.c.triggered_at, escalations.c.handled_at).where(
        _CLAIMED, _in_range(escalations.c.triggered_at)
    )
)
_HANDLE_TIMES = Query(
    select(escalations.c.handled_by, escalations.c.handled_at, escalations.c.released_at).where(
        _CLAIMED, escalations.c.released_at.is_not(None), _in_range(escalations.c.handled_at)
    )
)
_RATING_COUNTS = Query(
    select(ratings.c.score, func.count())
    .where(_in_range(ratings.c.created_at))
    .group_by(ratings.c.score)
)
_THUMB_COUNTS = Query(
    select(message_feedback.c.verdict, func.count())
    .where(_in_range(message_feedback.c.created_at))
    .group_by(message_feedback.c.verdict)
)
_bot = messages.alias("b")
_asked = messages.alias("u")
_UNANSWERED = Query(
    select(_asked.c.room_id, _asked.c.body, _asked.c.created_at, _bot.c.metadata)
    .join_from(
        _bot, _asked, and_(_asked.c.room_id == _bot.c.room_id, _asked.c.seq == _bot.c.seq - 1)
    )
    .where(
        _bot.c.sender_type == "bot",
        _asked.c.sender_type == "user",
        _in_range(_bot.c.created_at),
        # Each reason's name in the metadata's text is a cheap superset; the JSON decides.
        # An off-topic reply (the bot said what it covers, conversation/off_topic.py) is
        # unanswered too, though nobody was handed the chat: it is a gap all the same.
        or_(
            *(
                _bot.c.metadata.like(f"%{marker}%")
                for marker in (*UNANSWERED_REASONS, OFF_TOPIC_ACT)
            )
        ),
    )
    .order_by(_bot.c.created_at.desc(), _bot.c.room_id, _bot.c.seq)
)


@dataclass(frozen=True)
class ChatCounts:
    chats: int  # sessions started in the range
    closed: int  # of those, closed
    bot_resolved: int  # of those, closed without ever being escalated


@dataclass(frozen=True)
class ClaimDuration:
    agent_id: str
    seconds: float


@dataclass(frozen=True)
class TeamEscalation:
    """One escalation queued in the range, as the per-team report reads it."""

    team_id: str | None  # None: routed to no team
    team_name: str | None  # None: no team, or deleted since
    widened: bool  # its alert went to everyone
    claim_wait: float | None  # seconds from queueing to claim, if claimed
    handle_time: float | None  # seconds held, if claimed and since ended


@dataclass(frozen=True)
class RatingCounts:
    count: int
    average: float | None
    by_score: dict[int, int]


@dataclass(frozen=True)
class ThumbCounts:
    up: int
    down: int


@dataclass(frozen=True)
class UnansweredQuestion:
    room_id: str
    text: str
    created_at: str
    why: str  # the reason, or "thumbs_down"


class ReportsRepository:
    _db: Database

    async def chat_counts(self, since: str, until: str) -> ChatCounts:
        row = await self._db.read_one(_CHAT_COUNTS, since=since, until=until)
        assert row is not None
        return ChatCounts(int(row[0]), int(row[1]), int(row[2]))

    async def escalations_by_day_and_reason(
        self, since: str, until: str
    ) -> list[tuple[str, str, int]]:
        """(day YYYY-MM-DD, reason, count) for escalations triggered in the range; an
        escalation with several reasons counts once under each."""
        rows = await self._db.read(_ESCALATION_DAYS, since=since, until=until)
        counts = Counter(
            (str(row[0]), str(reason)) for row in rows for reason in set(json.loads(row[1]))
        )
        return [(day, reason, count) for (day, reason), count in sorted(counts.items())]

    async def escalation_total(self, since: str, until: str) -> int:
        row = await self._db.read_one(_ESCALATION_TOTAL, since=since, until=until)
        return int(row[0]) if row else 0

    async def claim_waits(self, since: str, until: str) -> list[float]:
        """Seconds from queueing to claim, for escalations queued in the range and claimed."""
        rows = await self._db.read(_CLAIM_WAITS, since=since, until=until)
        return [seconds_between(row[0], row[1]) for row in rows]

    async def handle_times(self, since: str, until: str) -> list[ClaimDuration]:
        """Seconds each agent held a room, for claims made in the range and since ended."""
        rows = await self._db.read(_HANDLE_TIMES, since=since, until=until)
        return [ClaimDuration(str(row[0]), seconds_between(row[1], row[2])) for row in rows]

    async def team_escalations(self, since: str, until: str) -> list[TeamEscalation]:
        """Every escalation queued in the range with its team, for the report by team."""
        rows = await self._db.fetch_all(
            "SELECT e.team_id, t.name, e.widened_at, e.status, e.triggered_at, e.handled_at,"
            " e.released_at FROM escalations e LEFT JOIN teams t ON t.team_id = e.team_id"
            " WHERE e.triggered_at >= ? AND e.triggered_at < ?",
            (since, until),
        )
        return [
            TeamEscalation(
                team_id=row[0],
                team_name=row[1],
                widened=row[2] is not None,
                claim_wait=seconds_between(row[4], row[5]) if row[3] == "claimed" else None,
                handle_time=(
                    seconds_between(row[5], row[6])
                    if row[3] == "claimed" and row[6] is not None
                    else None
                ),
            )
            for row in rows
        ]

    async def rating_counts(self, since: str, until: str) -> RatingCounts:
        """CSAT scores given in the range."""
        rows = await self._db.read(_RATING_COUNTS, since=since, until=until)
        by_score = {int(row[0]): int(row[1]) for row in rows}
        count = sum(by_score.values())
        average = sum(s * n for s, n in by_score.items()) / count if count else None
        return RatingCounts(count, average, by_score)

    async def thumb_counts(self, since: str, until: str) -> ThumbCounts:
        """Thumbs up and down on bot answers given in the range (the last verdict per message)."""
        rows = await self._db.read(_THUMB_COUNTS, since=since, until=until)
        counts = {str(row[0]): int(row[1]) for row in rows}
        return ThumbCounts(up=counts.get("up", 0), down=counts.get("down", 0))

    async def unanswered_questions(
        self, since: str, until: str, limit: int
    ) -> list[UnansweredQuestion]:
        """Customer messages the bot's next reply did not answer, newest first: the reply
        gave one of UNANSWERED_REASONS (the rules' verdict, so small talk answered with
        little retrieval evidence is not counted)."""
        rows = await self._db.read(_UNANSWERED, since=since, until=until)
        found = []
        for row in rows:
            metadata = json.loads(row[3])
            reasons = metadata.get("reasons") or []
            why = next((r for r in reasons if r in UNANSWERED_REASONS), None)
            if why is None and metadata.get("act") == OFF_TOPIC_ACT:
                why = OFF_TOPIC_ACT
            if why is not None:
                found.append(UnansweredQuestion(str(row[0]), str(row[1]), str(row[2]), why))
                if len(found) == limit:
                    break
        return found
