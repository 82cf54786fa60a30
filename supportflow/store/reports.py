"""SQL for the admin reports: counts and durations over a time range, and unanswered
questions. Ranges are half-open, [since, until), in the stored ISO-8601 UTC format, whose
text order is time order.

The SQL selects and filters; what SQLite and PostgreSQL spell differently (the elements of a
JSON array, the seconds between two timestamps) is computed in Python from the rows."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

from supportflow.store.database import Database
from supportflow.store.records import seconds_between

# Bot replies whose metadata carries one of these reasons did not answer the question.
UNANSWERED_REASONS = ("low_confidence", "bot_unhelpful", "bot_unavailable")
# The act of the bot's reply to a message the knowledge base does not cover.
OFF_TOPIC_ACT = "off_topic"


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
        row = await self._db.fetch_one(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.status = 'closed' THEN 1 ELSE 0 END), 0),"
            " COALESCE(SUM(CASE WHEN s.status = 'closed' AND NOT EXISTS"
            "  (SELECT 1 FROM escalations e WHERE e.session_id = s.session_id)"
            "  THEN 1 ELSE 0 END), 0)"
            " FROM sessions s WHERE s.created_at >= ? AND s.created_at < ?",
            (since, until),
        )
        assert row is not None
        return ChatCounts(int(row[0]), int(row[1]), int(row[2]))

    async def escalations_by_day_and_reason(
        self, since: str, until: str
    ) -> list[tuple[str, str, int]]:
        """(day YYYY-MM-DD, reason, count) for escalations triggered in the range; an
        escalation with several reasons counts once under each."""
        rows = await self._db.fetch_all(
            "SELECT substr(triggered_at, 1, 10), reasons FROM escalations"
            " WHERE triggered_at >= ? AND triggered_at < ?",
            (since, until),
        )
        counts = Counter(
            (str(row[0]), str(reason)) for row in rows for reason in set(json.loads(row[1]))
        )
        return [(day, reason, count) for (day, reason), count in sorted(counts.items())]

    async def escalation_total(self, since: str, until: str) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM escalations WHERE triggered_at >= ? AND triggered_at < ?",
            (since, until),
        )
        return int(row[0]) if row else 0

    async def claim_waits(self, since: str, until: str) -> list[float]:
        """Seconds from queueing to claim, for escalations queued in the range and claimed."""
        rows = await self._db.fetch_all(
            "SELECT triggered_at, handled_at FROM escalations WHERE status = 'claimed'"
            " AND triggered_at >= ? AND triggered_at < ?",
            (since, until),
        )
        return [seconds_between(row[0], row[1]) for row in rows]

    async def handle_times(self, since: str, until: str) -> list[ClaimDuration]:
        """Seconds each agent held a room, for claims made in the range and since ended."""
        rows = await self._db.fetch_all(
            "SELECT handled_by, handled_at, released_at FROM escalations"
            " WHERE status = 'claimed' AND released_at IS NOT NULL"
            " AND handled_at >= ? AND handled_at < ?",
            (since, until),
        )
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
        rows = await self._db.fetch_all(
            "SELECT score, COUNT(*) FROM ratings WHERE created_at >= ? AND created_at < ?"
            " GROUP BY score",
            (since, until),
        )
        by_score = {int(row[0]): int(row[1]) for row in rows}
        count = sum(by_score.values())
        average = sum(s * n for s, n in by_score.items()) / count if count else None
        return RatingCounts(count, average, by_score)

    async def thumb_counts(self, since: str, until: str) -> ThumbCounts:
        """Thumbs up and down on bot answers given in the range (the last verdict per message)."""
        rows = await self._db.fetch_all(
            "SELECT verdict, COUNT(*) FROM message_feedback"
            " WHERE created_at >= ? AND created_at < ? GROUP BY verdict",
            (since, until),
        )
        counts = {str(row[0]): int(row[1]) for row in rows}
        return ThumbCounts(up=counts.get("up", 0), down=counts.get("down", 0))

    async def unanswered_questions(
        self, since: str, until: str, limit: int
    ) -> list[UnansweredQuestion]:
        """Customer messages the bot's next reply did not answer, newest first: the reply
        gave one of UNANSWERED_REASONS (the rules' verdict, so small talk answered with
        little retrieval evidence is not counted)."""
        # Each reason's name in the metadata's text is a cheap superset; the JSON decides.
        # An off-topic reply (the bot said what it covers, conversation/off_topic.py) is
        # unanswered too, though nobody was handed the chat: it is a gap all the same.
        markers = (*UNANSWERED_REASONS, OFF_TOPIC_ACT)
        maybe = " OR ".join("b.metadata LIKE ?" for _ in markers)
        rows = await self._db.fetch_all(
            "SELECT u.room_id, u.body, u.created_at, b.metadata"
            " FROM messages b JOIN messages u ON u.room_id = b.room_id AND u.seq = b.seq - 1"
            " WHERE b.sender_type = 'bot' AND u.sender_type = 'user'"
            f" AND b.created_at >= ? AND b.created_at < ? AND ({maybe})"
            " ORDER BY b.created_at DESC, b.room_id, b.seq",
            (since, until, *(f"%{marker}%" for marker in markers)),
        )
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
