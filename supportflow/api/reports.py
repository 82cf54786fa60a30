"""Reports (admin): how the bot and the team are doing, and what the knowledge base lacks.

GET /api/reports/summary?since=&until=          counts, waits, handle times, CSAT, thumbs
GET /api/reports/knowledge-gaps?since=&until=   unanswered questions grouped into topics
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import AwareDatetime, BaseModel, Field, field_validator
from quart import Blueprint
from quart_schema import validate_querystring, validate_response

from supportflow.api.context import require, services
from supportflow.auth import Role
from supportflow.reports.gaps import knowledge_gaps
from supportflow.reports.summary import summarise

blueprint = Blueprint("reports", __name__, url_prefix="/api/reports")

DEFAULT_DAYS = 30
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)
MAX_GAP_QUESTIONS = 2000


class RangeQuery(BaseModel):
    since: AwareDatetime | None = Field(
        default=None, description="ISO-8601 with a time zone; default: 30 days before `until`"
    )
    until: AwareDatetime | None = Field(
        default=None, description="ISO-8601 with a time zone, excluded; default: now"
    )

    @field_validator("since", "until", mode="before")
    @classmethod
    def _iso_only(cls, value: object) -> object:
        # pydantic would also read "0.5" as seconds since 1970: the contract is ISO-8601.
        if isinstance(value, str) and not value[:4].isdigit():
            raise ValueError("must be an ISO-8601 date and time with a time zone")
        if isinstance(value, str) and "-" not in value:
            raise ValueError("must be an ISO-8601 date and time with a time zone")
        return value


class GapsQuery(RangeQuery):
    limit: int = Field(default=20, ge=1, le=100, description="most topics returned")


class DurationsOut(BaseModel):
    count: int
    p50_seconds: float | None
    p90_seconds: float | None
    mean_seconds: float | None


class AgentHandlingOut(BaseModel):
    agent_id: str
    handle_time: DurationsOut


class TeamOut(BaseModel):
    team_id: str | None = Field(description="null: the escalations routed to no team")
    name: str | None = Field(description="null: no team, or the team was deleted")
    escalations: int
    widened: int = Field(description="of those, alerted to everyone (the team's time ran out)")
    time_to_first_claim: DurationsOut
    handle_time: DurationsOut


class DayOut(BaseModel):
    day: str
    by_reason: dict[str, int]


class CsatOut(BaseModel):
    count: int
    average: float | None
    by_score: dict[int, int] = Field(description="how many of each score, 1 to 5")


class ThumbsOut(BaseModel):
    up: int
    down: int


class SummaryOut(BaseModel):
    since: str
    until: str
    chats: int = Field(description="sessions started in the range")
    closed: int = Field(description="of those, closed")
    bot_resolved: int = Field(description="of those, closed without ever being escalated")
    bot_resolved_share: float | None = Field(description="bot_resolved / closed")
    escalations: int
    escalations_by_reason: dict[str, int]
    escalations_by_day: list[DayOut]
    time_to_first_claim: DurationsOut
    handle_time: DurationsOut
    handle_time_by_agent: list[AgentHandlingOut]
    by_team: list[TeamOut] = Field(description="escalations, waits and handle times per team")
    csat: CsatOut = Field(description="CSAT scores given in the range")
    thumbs: ThumbsOut = Field(description="thumbs on bot answers given in the range")
    notes: list[str]


class GapTopicOut(BaseModel):
    label: str
    count: int
    examples: list[str]
    reasons: dict[str, int]
    last_asked_at: str


class GapsOut(BaseModel):
    since: str
    until: str
    questions: int = Field(description="unanswered questions considered")
    topics: list[GapTopicOut]


@blueprint.get("/summary")
@validate_querystring(RangeQuery)
@validate_response(SummaryOut, 200)
async def summary(query_args: RangeQuery) -> SummaryOut:
    """Chats, bot-resolved share, escalations by reason and day, time to first claim and
    handle time (p50, p90), the same split by team, CSAT and thumbs, for [since, until)
    (admin)."""
    await require(Role.ADMIN)
    since, until = _range(query_args)
    report = await summarise(services().store, since, until)
    return SummaryOut.model_validate(report, from_attributes=True)


@blueprint.get("/knowledge-gaps")
@validate_querystring(GapsQuery)
@validate_response(GapsOut, 200)
async def gaps(query_args: GapsQuery) -> GapsOut:
    """Questions the bot could not answer in [since, until), grouped by meaning, biggest
    topic first, each with its count and example wordings: the articles to write next."""
    await require(Role.ADMIN)
    since, until = _range(query_args)
    app = services()
    questions = await app.store.unanswered_questions(since, until, MAX_GAP_QUESTIONS)
    topics = await knowledge_gaps(questions, app.bot.knowledge.embedder)
    return GapsOut(
        since=since,
        until=until,
        questions=len(questions),
        topics=[
            GapTopicOut.model_validate(topic, from_attributes=True)
            for topic in topics[: query_args.limit]
        ],
    )


def _range(query: RangeQuery) -> tuple[str, str]:
    """The stored forms of [since, until); since >= until is an empty range, not an error."""
    until = _utc(query.until or datetime.now(UTC))
    since = _utc(query.since) if query.since else _days_before(until, DEFAULT_DAYS)
    return _stored(since), _stored(until)


def _utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # within a day of year 1 or 9999: no UTC twin, clamp to the end
        return _EARLIEST if moment.year == 1 else _LATEST


def _days_before(moment: datetime, days: int) -> datetime:
    try:
        return moment - timedelta(days=days)
    except OverflowError:
        return _EARLIEST


def _stored(moment: datetime) -> str:
    """The store's timestamp format (ISO UTC, milliseconds, Z), so text order is time order."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
