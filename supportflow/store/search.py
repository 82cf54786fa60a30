"""Transcript search: the engines' own full-text indexes, behind one repository method.

Revision 014 built the indexes: an FTS5 table on SQLite, `message_search` (a stored
tsvector a message, under a GIN index) on PostgreSQL. The filters (who may see what, customer,
agent, state, dates) are the same SQL on both; only the text match and the snippet are
each engine's own (`_SqliteText`, `_PostgresText`). Hits come newest first: on SQLite the
FTS5 cursor walks its matches by descending rowid and stops at the page's end.

What a caller typed is never handed to either engine's query syntax: `search_terms` keeps
its words and "quoted phrases", and each engine's query is built from those alone, so no
input can be a syntax error. Snippets mark matches with \\x02 and \\x03, which
`snippet_parts` turns into parts: markup is the page's to add, never the database's.

The one store module left in the string style (docs/database.md): its statement is put
together per request from the filters asked for and each engine's own FTS syntax (FTS5's
MATCH and snippet(), PostgreSQL's tsquery and ts_headline), over tables schema.py does not
declare (revision 014 builds them). Every value is a `?` parameter all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from supportflow.store.database import Database, Row
from supportflow.store.records import RoomState

MAX_TERMS = 12
_START, _STOP = "\x02", "\x03"
_TERM = re.compile(r'"([^"]*)"|(\w+)')
_WORD = re.compile(r"\w+")
# Shared by both engines' statements: a hit's conversation and customer.
_CONVERSATION_COLUMNS = (
    "s.session_id, s.room_id, s.status, s.agent_id, s.user_id, u.name AS customer_name,"
    " s.created_at AS started_at, s.updated_at"
)


@dataclass(frozen=True)
class SearchScope:
    """Whose conversations a search sees: everything (the admin), an agent's (the rooms it
    holds or handled, and the queue), or one customer's own chat (never the notes)."""

    everything: bool = False
    agent_id: str | None = None
    session_id: str | None = None

    @property
    def include_private(self) -> bool:
        return self.session_id is None


@dataclass(frozen=True)
class SearchQuery:
    """What to look for; every field but `page` and `per_page` narrows the results."""

    text: str = ""
    customer: str | None = None  # a user id, an exact email, or part of a name
    agent_id: str | None = None
    team_id: str | None = None  # chats routed to this team's queue (docs/teams.md)
    states: tuple[RoomState, ...] = ()
    since: date | datetime | None = None
    until: date | datetime | None = None  # inclusive: a date means to its end
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class SnippetPart:
    text: str
    match: bool


@dataclass(frozen=True)
class SearchHit:
    """A message that matched (or, for a search without text, a conversation)."""

    session_id: str
    room_id: str
    state: RoomState
    agent_id: str | None
    user_id: str
    customer_name: str | None
    started_at: str
    updated_at: str
    seq: int | None = None
    sender_type: str | None = None
    private: bool = False
    created_at: str | None = None
    snippet: tuple[SnippetPart, ...] = field(default=())


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    page: int
    per_page: int
    has_more: bool


def search_terms(text: str) -> list[tuple[str, ...]]:
    """The words and quoted phrases of `text`, each a tuple of words (at most MAX_TERMS)."""
    terms: list[tuple[str, ...]] = []
    for phrase, word in _TERM.findall(text):
        words = tuple(_WORD.findall(phrase)) if phrase else (word,)
        if words:
            terms.append(tuple(w.lower() for w in words))
    return terms[:MAX_TERMS]


def snippet_parts(snippet: str) -> tuple[SnippetPart, ...]:
    """A snippet with \\x02...\\x03 around its matches, as plain and matched parts."""
    parts: list[SnippetPart] = []
    for index, piece in enumerate(re.split(f"[{_START}{_STOP}]", snippet)):
        if piece:
            parts.append(SnippetPart(piece, match=index % 2 == 1))
    return tuple(parts)


def _stamp(moment: date | datetime, end_of_day: bool = False) -> str:
    """A bound in the stored timestamp format; a date `until` means the next midnight."""
    if not isinstance(moment, datetime):
        day = moment + timedelta(days=1) if end_of_day else moment
        moment = datetime.combine(day, time.min)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds") + "Z"


class _Filters:
    """The WHERE clauses both engines share, with their parameters in order."""

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.params: list[object] = []

    def add(self, clause: str, *params: object) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def sql(self) -> str:
        return "".join(f" AND {clause}" for clause in self.clauses)


def _handled_by(agent_column: str) -> str:
    return (
        f"(s.agent_id = {agent_column} OR EXISTS (SELECT 1 FROM escalations e"
        f" WHERE e.session_id = s.session_id AND e.handled_by = {agent_column}))"
    )


def _filters(scope: SearchScope, query: SearchQuery, dated: str) -> _Filters:
    found = _Filters()
    if scope.session_id is not None:
        found.add("s.session_id = ?", scope.session_id)
    elif not scope.everything:
        agent = scope.agent_id or ""
        found.add(f"(s.status = 'escalating' OR {_handled_by('?')})", agent, agent)
    if query.customer:
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", query.customer.lower()) + "%"
        found.add(
            "(s.user_id = ? OR lower(u.email) = ? OR lower(u.name) LIKE ? ESCAPE '\\')",
            query.customer,
            query.customer.lower(),
            pattern,
        )
    if query.agent_id:
        found.add(_handled_by("?"), query.agent_id, query.agent_id)
    if query.team_id:
        found.add(
            "EXISTS (SELECT 1 FROM escalations e"
            " WHERE e.session_id = s.session_id AND e.team_id = ?)",
            query.team_id,
        )
    if query.states:
        found.add(
            f"s.status IN ({', '.join('?' * len(query.states))})",
            *(state.value for state in query.states),
        )
    if query.since is not None:
        found.add(f"{dated} >= ?", _stamp(query.since))
    if query.until is not None:
        operator = "<=" if isinstance(query.until, datetime) else "<"
        found.add(f"{dated} {operator} ?", _stamp(query.until, end_of_day=True))
    return found


def _sqlite_match(terms: list[tuple[str, ...]]) -> str:
    # Each term double-quoted: an FTS5 string (a phrase when several words), never syntax.
    return " ".join('"' + " ".join(words) + '"' for words in terms)


def _postgres_match(terms: list[tuple[str, ...]]) -> str:
    # Each word single-quoted for to_tsquery; a phrase's words joined by <-> (next to).
    return " & ".join("(" + " <-> ".join(f"'{w}'" for w in words) + ")" for words in terms)


_SQLITE_TEXT = (
    "SELECT m.seq, m.sender_type, m.visibility, m.created_at, "
    + _CONVERSATION_COLUMNS
    + ", snippet(messages_fts, 0, char(2), char(3), '…', 16) AS snippet"
    " FROM messages_fts JOIN messages m ON m.message_id = messages_fts.rowid"
    " JOIN sessions s ON s.room_id = m.room_id JOIN users u ON u.user_id = s.user_id"
    " WHERE messages_fts MATCH ?{filters}"
    " ORDER BY messages_fts.rowid DESC LIMIT ? OFFSET ?"
)
_POSTGRES_HEADLINE = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords=20, MinWords=8, MaxFragments=2,"
    ' FragmentDelimiter=" … "'
)
# The headline is drawn for the page's rows only (outer query), not for every match.
_POSTGRES_TEXT = (
    "SELECT hits.*, ts_headline('english', hits.body, to_tsquery('english', ?), ?) AS snippet"
    " FROM (SELECT m.message_id, m.body, m.seq, m.sender_type, m.visibility, m.created_at, "
    + _CONVERSATION_COLUMNS
    + " FROM message_search ms JOIN messages m ON m.message_id = ms.message_id"
    " JOIN sessions s ON s.room_id = m.room_id JOIN users u ON u.user_id = s.user_id"
    " WHERE ms.document @@ to_tsquery('english', ?){filters}"
    " ORDER BY m.message_id DESC LIMIT ? OFFSET ?) AS hits ORDER BY hits.message_id DESC"
)
_CONVERSATIONS = (
    "SELECT "
    + _CONVERSATION_COLUMNS
    + " FROM sessions s JOIN users u ON u.user_id = s.user_id WHERE 1 = 1{filters}"
    " ORDER BY s.updated_at DESC, s.session_id LIMIT ? OFFSET ?"
)


class SearchRepository:
    _db: Database

    async def search_conversations(self, scope: SearchScope, query: SearchQuery) -> SearchPage:
        """One page of the messages matching `query.text` that `scope` may see, newest
        first, with snippets; without words to match, the conversations matching the
        filters, most recently active first."""
        terms = search_terms(query.text)
        window = (query.per_page + 1, (query.page - 1) * query.per_page)
        if not terms:
            found = _filters(scope, query, "s.created_at")
            sql = _CONVERSATIONS.format(filters=found.sql())
            rows = await self._db.fetch_all(sql, (*found.params, *window))
            return _page([_conversation(row) for row in rows], query)
        found = _filters(scope, query, "m.created_at")
        if not scope.include_private:
            found.add("m.visibility = 'all'")
        if self._db.dialect == "sqlite":
            sql = _SQLITE_TEXT.format(filters=found.sql())
            params: tuple[object, ...] = (_sqlite_match(terms), *found.params, *window)
        else:
            match = _postgres_match(terms)
            sql = _POSTGRES_TEXT.format(filters=found.sql())
            params = (match, _POSTGRES_HEADLINE, match, *found.params, *window)
        rows = await self._db.fetch_all(sql, params)
        return _page([_message_hit(row) for row in rows], query)

    async def search_scope_covers(self, scope: SearchScope, session_id: str) -> bool:
        """Whether `scope` may see the conversation: what a search can find, it can open."""
        found = _filters(scope, SearchQuery(), "s.created_at")
        sql = (
            "SELECT 1 FROM sessions s JOIN users u ON u.user_id = s.user_id"
            f" WHERE s.session_id = ?{found.sql()}"
        )
        return await self._db.fetch_one(sql, (session_id, *found.params)) is not None


def _page(hits: list[SearchHit], query: SearchQuery) -> SearchPage:
    return SearchPage(
        tuple(hits[: query.per_page]), query.page, query.per_page, len(hits) > query.per_page
    )


def _conversation(row: Row) -> SearchHit:
    return SearchHit(
        session_id=row["session_id"],
        room_id=row["room_id"],
        state=RoomState(row["status"]),
        agent_id=row["agent_id"],
        user_id=row["user_id"],
        customer_name=row["customer_name"],
        started_at=row["started_at"],
        updated_at=row["updated_at"],
    )


def _message_hit(row: Row) -> SearchHit:
    return replace(
        _conversation(row),
        seq=int(row["seq"]),
        sender_type=row["sender_type"],
        private=row["visibility"] != "all",
        created_at=row["created_at"],
        snippet=snippet_parts(row["snippet"] or ""),
    )
