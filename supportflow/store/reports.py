"""SQL for the admin reports: counts and durations over a time range, and unanswered
questions. Ranges are half-open, [since, until), in the stored ISO-8601 UTC format, whose
text order is time order."""

from __future__ import annotations

from dataclasses import dataclass

from supportflow.store.database import Database

# Bot replies whose metadata carries one of these reasons did not answer the question.
UNANSWERED_REASONS = ("low_confidence", "bot_unhelpful", "bot_unavailable")


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
            "SELECT COUNT(*), COALESCE(SUM(s.status = 'closed'), 0),"
            " COALESCE(SUM(s.status = 'closed' AND NOT EXISTS"
            "  (SELECT 1 FROM escalations e WHERE e.session_id = s.session_id)), 0)"
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
            "SELECT substr(e.triggered_at, 1, 10) AS day, r.value AS reason, COUNT(*)"
            " FROM escalations e, json_each(e.reasons) r"
            " WHERE e.triggered_at >= ? AND e.triggered_at < ?"
            " GROUP BY day, reason ORDER BY day, reason",
            (since, until),
        )
        return [(str(row[0]), str(row[1]), int(row[2])) for row in rows]

    async def escalation_total(self, since: str, until: str) -> int:
        row = await self._db.fetch_one(
            "SELECT COUNT(*) FROM escalations WHERE triggered_at >= ? AND triggered_at < ?",
            (since, until),
        )
        return int(row[0]) if row else 0

    async def claim_waits(self, since: str, until: str) -> list[float]:
        """Seconds from queueing to claim, for escalations queued in the range and claimed."""
        rows = await self._db.fetch_all(
            "SELECT (julianday(handled_at) - julianday(triggered_at)) * 86400.0"
            " FROM escalations WHERE status = 'claimed'"
            " AND triggered_at >= ? AND triggered_at < ?",
            (since, until),
        )
        return [max(0.0, float(row[0])) for row in rows]

    async def handle_times(self, since: str, until: str) -> list[ClaimDuration]:
        """Seconds each agent held a room, for claims made in the range and since ended."""
        rows = await self._db.fetch_all(
            "SELECT handled_by, (julianday(released_at) - julianday(handled_at)) * 86400.0"
            " FROM escalations WHERE status = 'claimed' AND released_at IS NOT NULL"
            " AND handled_at >= ? AND handled_at < ?",
            (since, until),
        )
        return [ClaimDuration(str(row[0]), max(0.0, float(row[1]))) for row in rows]

    async def rating_counts(self, since: str, until: str) -> RatingCounts | None:
        """CSAT scores given in the range; None while no ratings table exists."""
        if not await self._has_table("ratings"):
            return None
        rows = await self._db.fetch_all(
            "SELECT score, COUNT(*) FROM ratings WHERE created_at >= ? AND created_at < ?"
            " GROUP BY score",
            (since, until),
        )
        by_score = {int(row[0]): int(row[1]) for row in rows}
        count = sum(by_score.values())
        average = sum(s * n for s, n in by_score.items()) / count if count else None
        return RatingCounts(count, average, by_score)

    async def thumb_counts(self, since: str, until: str) -> ThumbCounts | None:
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
        marks = ",".join("?" * len(UNANSWERED_REASONS))
        rows = await self._db.fetch_all(
            "SELECT u.room_id, u.body, u.created_at,"
            f" (SELECT r.value FROM json_each(b.metadata, '$.reasons') r"
            f"   WHERE r.value IN ({marks}) LIMIT 1) AS why"
            " FROM messages b JOIN messages u ON u.room_id = b.room_id AND u.seq = b.seq - 1"
            " WHERE b.sender_type = 'bot' AND u.sender_type = 'user'"
            " AND b.created_at >= ? AND b.created_at < ?"
            " AND why IS NOT NULL ORDER BY b.created_at DESC LIMIT ?",
            (*UNANSWERED_REASONS, since, until, limit),
        )
        return [
            UnansweredQuestion(
                room_id=str(row[0]),
                text=str(row[1]),
                created_at=str(row[2]),
                why=str(row[3]),
            )
            for row in rows
        ]

    async def _has_table(self, name: str) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        )
        return row is not None
