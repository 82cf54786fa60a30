"""SQL for the chat widget: sites, the widget's context of a chat, and extra customer tokens.

A site is a website allowed to embed `/widget.js`; its secret signs the user ids its back
end vouches for. A chat started from the widget has a `site_sessions` row (the site, whether
its customer was proven, the page's attributes). An identified customer resuming a chat on
another device gets a token of its own for that session (`session_tokens`), so no device's
token is taken from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row
from supportflow.store.query import Query, named_binds
from supportflow.store.records import RoomState, SessionRecord, from_columns, utc_now
from supportflow.store.schema import session_tokens, sessions, site_sessions, sites, users

# The columns an admin may change after creation (the id and the secret have routes of
# their own); a fixed list, so no column name ever comes from a request.
SITE_SETTINGS = (
    "name",
    "allowed_origins",
    "brand_color",
    "greeting",
    "launcher_position",
    "prechat_fields",
)
_JSON_SETTINGS = ("allowed_origins", "prechat_fields")

_OF_SITE = sites.c.site_id == bindparam("site_id")
_INSERT_SITE = Query(
    insert(sites).values(
        named_binds("site_id", "secret", "created_at", "updated_at", *SITE_SETTINGS)
    )
)
_SITE = Query(select(sites).where(_OF_SITE))
_SITE_LOCKED = Query(select(sites).where(_OF_SITE).with_for_update())
_SITES = Query(select(sites).order_by(sites.c.site_id))
# Every setting written back: one fixed statement, whatever changed.
_UPDATE_SITE = Query(
    update(sites).values(named_binds("updated_at", *SITE_SETTINGS)).where(_OF_SITE)
)
_SET_SECRET = Query(update(sites).values(named_binds("secret", "updated_at")).where(_OF_SITE))
_DELETE_SITE = Query(delete(sites).where(_OF_SITE))
_INSERT_SITE_CHAT = Query(
    insert(site_sessions).values(
        named_binds("session_id", "site_id", "verified", "attributes", "updated_at")
    )
)
_OPEN_SITE_CHAT = Query(
    select(sessions)
    .join_from(sessions, site_sessions, site_sessions.c.session_id == sessions.c.session_id)
    .where(
        sessions.c.user_id == bindparam("user_id"),
        site_sessions.c.site_id == bindparam("site_id"),
        site_sessions.c.verified == 1,
        sessions.c.status != RoomState.CLOSED.value,
    )
    .order_by(sessions.c.created_at.desc())
    .limit(1)
)
_OF_SITE_CHAT = site_sessions.c.session_id == bindparam("session_id")
_SITE_CHAT = Query(
    select(site_sessions, sites.c.name.label("site_name"), users.c.name, users.c.email)
    .join_from(site_sessions, sessions, sessions.c.session_id == site_sessions.c.session_id)
    .join(users, users.c.user_id == sessions.c.user_id)
    .outerjoin(sites, sites.c.site_id == site_sessions.c.site_id)
    .where(_OF_SITE_CHAT)
)
_CHAT_ATTRIBUTES_LOCKED = Query(
    select(site_sessions.c.attributes).where(_OF_SITE_CHAT).with_for_update()
)
_SET_CHAT_ATTRIBUTES = Query(
    update(site_sessions).values(named_binds("attributes", "updated_at")).where(_OF_SITE_CHAT)
)
# A value not given leaves the stored one.
_SET_PROFILE = Query(
    update(users)
    .values(
        name=func.coalesce(bindparam("name"), users.c.name),
        email=func.coalesce(bindparam("email"), users.c.email),
    )
    .where(users.c.user_id == bindparam("user_id"))
)
_DELETE_EXPIRED_TOKENS = Query(
    delete(session_tokens).where(
        session_tokens.c.session_id == bindparam("session_id"),
        session_tokens.c.expires_at <= bindparam("now"),
    )
)
_INSERT_TOKEN = Query(
    insert(session_tokens).values(
        named_binds("token_digest", "session_id", "created_at", "expires_at")
    )
)
_SESSION_BY_TOKEN = Query(
    select(sessions, session_tokens.c.expires_at.label("token_expires_at"))
    .join_from(session_tokens, sessions, sessions.c.session_id == session_tokens.c.session_id)
    .where(session_tokens.c.token_digest == bindparam("token_digest"))
)


@dataclass(frozen=True)
class SiteRecord:
    site_id: str
    name: str
    allowed_origins: tuple[str, ...]
    brand_color: str
    greeting: str
    launcher_position: str
    prechat_fields: tuple[str, ...]
    secret: str
    created_at: str
    updated_at: str

    @classmethod
    def from_row(cls, row: Row) -> SiteRecord:
        return from_columns(
            cls,
            row,
            allowed_origins=tuple(json.loads(row["allowed_origins"])),
            prechat_fields=tuple(json.loads(row["prechat_fields"])),
        )


@dataclass(frozen=True)
class SiteChatRecord:
    """What the widget knows of a chat: shown to agents beside the conversation."""

    session_id: str
    site_id: str
    site_name: str | None  # None once the site is deleted
    verified: bool  # the user id was proven by its user_hash
    attributes: dict[str, Any]
    name: str | None  # the customer's, from identify or the pre-chat form
    email: str | None
    updated_at: str


class SitesRepository:
    _db: Database

    async def create_site(self, site: SiteRecord) -> SiteRecord:
        """Store a new site (its timestamps are set here); Conflict `site_exists`."""
        now = utc_now()
        async with self._db.unit() as sql:
            try:
                await sql.run(
                    _INSERT_SITE,
                    site_id=site.site_id,
                    secret=site.secret,
                    created_at=now,
                    updated_at=now,
                    **_settings(site.__dict__),
                )
            except IntegrityError:
                raise Conflict(f"site {site.site_id!r} already exists", "site_exists") from None
        return await self.get_site(site.site_id)

    async def get_site(self, site_id: str) -> SiteRecord:
        row = await self._db.read_one(_SITE, site_id=site_id)
        if row is None:
            raise _missing(site_id)
        return SiteRecord.from_row(row)

    async def sites(self) -> list[SiteRecord]:
        rows = await self._db.read(_SITES)
        return [SiteRecord.from_row(row) for row in rows]

    async def update_site(self, site_id: str, changes: dict[str, Any]) -> SiteRecord:
        """Change some of a site's `SITE_SETTINGS` (tuples for the JSON ones)."""
        unknown = set(changes) - set(SITE_SETTINGS)
        if unknown:
            raise ValueError(f"not a site setting: {sorted(unknown)}")
        async with self._db.unit() as sql:
            row = (await sql.run(_SITE_LOCKED, site_id=site_id)).fetchone()
            if row is None:
                raise _missing(site_id)
            merged = {**SiteRecord.from_row(row).__dict__, **changes}
            await sql.run(_UPDATE_SITE, site_id=site_id, updated_at=utc_now(), **_settings(merged))
        return await self.get_site(site_id)

    async def set_site_secret(self, site_id: str, secret: str) -> SiteRecord:
        """Replace a site's secret: hashes signed with the old one stop verifying at once."""
        async with self._db.unit() as sql:
            cursor = await sql.run(
                _SET_SECRET, secret=secret, updated_at=utc_now(), site_id=site_id
            )
            if cursor.rowcount == 0:
                raise _missing(site_id)
        return await self.get_site(site_id)

    async def delete_site(self, site_id: str) -> None:
        """Remove a site; its chats stay, and keep its id."""
        async with self._db.unit() as sql:
            cursor = await sql.run(_DELETE_SITE, site_id=site_id)
            if cursor.rowcount == 0:
                raise _missing(site_id)

    async def add_site_chat(
        self, session_id: str, site_id: str, verified: bool, attributes: dict[str, Any]
    ) -> None:
        """Record that `session_id` started on `site_id` (once, right after the session)."""
        async with self._db.unit() as sql:
            await sql.run(
                _INSERT_SITE_CHAT,
                session_id=session_id,
                site_id=site_id,
                verified=int(verified),
                attributes=json.dumps(attributes),
                updated_at=utc_now(),
            )

    async def open_site_chat(self, site_id: str, user_id: str) -> SessionRecord | None:
        """The proven customer's latest chat on this site that is not closed, if any."""
        row = await self._db.read_one(_OPEN_SITE_CHAT, user_id=user_id, site_id=site_id)
        return SessionRecord.from_row(row) if row else None

    async def site_chat(self, session_id: str) -> SiteChatRecord | None:
        """The widget's context of a chat, or None for a chat that did not start there."""
        row = await self._db.read_one(_SITE_CHAT, session_id=session_id)
        if row is None:
            return None
        return from_columns(
            SiteChatRecord,
            row,
            verified=bool(row["verified"]),
            attributes=json.loads(row["attributes"]),
        )

    async def merge_chat_attributes(
        self, session_id: str, changes: dict[str, Any], limit: int
    ) -> dict[str, Any]:
        """Merge `changes` into a widget chat's attributes (None removes a key); the result.

        Conflict `too_many_attributes` when more than `limit` would remain; NotFound
        `not_a_widget_chat` for a chat that did not start in the widget.
        """
        async with self._db.unit() as sql:
            row = (await sql.run(_CHAT_ATTRIBUTES_LOCKED, session_id=session_id)).fetchone()
            if row is None:
                raise NotFound("this chat did not start in the widget", "not_a_widget_chat")
            merged = {**json.loads(row[0]), **changes}
            merged = {key: value for key, value in merged.items() if value is not None}
            if len(merged) > limit:
                raise Conflict(f"a chat keeps at most {limit} attributes", "too_many_attributes")
            await sql.run(
                _SET_CHAT_ATTRIBUTES,
                attributes=json.dumps(merged),
                updated_at=utc_now(),
                session_id=session_id,
            )
        return merged

    async def set_user_profile(self, user_id: str, name: str | None, email: str | None) -> None:
        """Record the customer's name and email as the page or pre-chat form gave them
        (a value not given leaves the stored one)."""
        async with self._db.unit() as sql:
            await sql.run(_SET_PROFILE, name=name, email=email, user_id=user_id)

    async def add_session_token(
        self, session_id: str, token_digest: str, expires_at: str | None
    ) -> None:
        """Another customer token for `session_id` (a device that resumed it); the
        session's expired extra tokens go at the same time."""
        now = utc_now()
        async with self._db.unit() as sql:
            await sql.run(_DELETE_EXPIRED_TOKENS, session_id=session_id, now=now)
            await sql.run(
                _INSERT_TOKEN,
                token_digest=token_digest,
                session_id=session_id,
                created_at=now,
                expires_at=expires_at,
            )

    async def session_by_extra_token(self, token_digest: str) -> SessionRecord | None:
        """The session an extra customer token opens, with that token's own expiry."""
        row = await self._db.read_one(_SESSION_BY_TOKEN, token_digest=token_digest)
        if row is None:
            return None
        return from_columns(
            SessionRecord,
            row,
            status=RoomState(row["status"]),
            expires_at=row["token_expires_at"],
        )


def _settings(values: dict[str, Any]) -> dict[str, Any]:
    """A site's SITE_SETTINGS as stored: the lists as JSON arrays."""
    return {
        name: json.dumps(list(values[name])) if name in _JSON_SETTINGS else values[name]
        for name in SITE_SETTINGS
    }


def _missing(site_id: str) -> NotFound:
    return NotFound(f"no site {site_id!r}", "site_not_found")
