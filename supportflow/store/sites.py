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

from supportflow.errors import Conflict, NotFound
from supportflow.store.database import Database, IntegrityError, Row
from supportflow.store.records import RoomState, SessionRecord, from_columns, utc_now

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
                await sql.execute(
                    "INSERT INTO sites (site_id, name, allowed_origins, brand_color, greeting,"
                    " launcher_position, prechat_fields, secret, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        site.site_id,
                        site.name,
                        json.dumps(list(site.allowed_origins)),
                        site.brand_color,
                        site.greeting,
                        site.launcher_position,
                        json.dumps(list(site.prechat_fields)),
                        site.secret,
                        now,
                        now,
                    ),
                )
            except IntegrityError:
                raise Conflict(f"site {site.site_id!r} already exists", "site_exists") from None
        return await self.get_site(site.site_id)

    async def get_site(self, site_id: str) -> SiteRecord:
        row = await self._db.fetch_one("SELECT * FROM sites WHERE site_id = ?", (site_id,))
        if row is None:
            raise _missing(site_id)
        return SiteRecord.from_row(row)

    async def sites(self) -> list[SiteRecord]:
        rows = await self._db.fetch_all("SELECT * FROM sites ORDER BY site_id")
        return [SiteRecord.from_row(row) for row in rows]

    async def update_site(self, site_id: str, changes: dict[str, Any]) -> SiteRecord:
        """Change some of a site's `SITE_SETTINGS` (tuples for the JSON ones)."""
        unknown = set(changes) - set(SITE_SETTINGS)
        if unknown:
            raise ValueError(f"not a site setting: {sorted(unknown)}")
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                f"SELECT * FROM sites WHERE site_id = ?{sql.for_update}", (site_id,)
            )
            row = cursor.fetchone()
            if row is None:
                raise _missing(site_id)
            merged = {**SiteRecord.from_row(row).__dict__, **changes}
            # Every setting written back: one fixed statement, whatever changed.
            await sql.execute(
                "UPDATE sites SET name = ?, allowed_origins = ?, brand_color = ?, greeting = ?,"
                " launcher_position = ?, prechat_fields = ?, updated_at = ? WHERE site_id = ?",
                (
                    merged["name"],
                    json.dumps(list(merged["allowed_origins"])),
                    merged["brand_color"],
                    merged["greeting"],
                    merged["launcher_position"],
                    json.dumps(list(merged["prechat_fields"])),
                    utc_now(),
                    site_id,
                ),
            )
        return await self.get_site(site_id)

    async def set_site_secret(self, site_id: str, secret: str) -> SiteRecord:
        """Replace a site's secret: hashes signed with the old one stop verifying at once."""
        async with self._db.unit() as sql:
            cursor = await sql.execute(
                "UPDATE sites SET secret = ?, updated_at = ? WHERE site_id = ?",
                (secret, utc_now(), site_id),
            )
            if cursor.rowcount == 0:
                raise _missing(site_id)
        return await self.get_site(site_id)

    async def delete_site(self, site_id: str) -> None:
        """Remove a site; its chats stay, and keep its id."""
        async with self._db.unit() as sql:
            cursor = await sql.execute("DELETE FROM sites WHERE site_id = ?", (site_id,))
            if cursor.rowcount == 0:
                raise _missing(site_id)

    async def add_site_chat(
        self, session_id: str, site_id: str, verified: bool, attributes: dict[str, Any]
    ) -> None:
        """Record that `session_id` started on `site_id` (once, right after the session)."""
        async with self._db.unit() as sql:
            await sql.execute(
                "INSERT INTO site_sessions (session_id, site_id, verified, attributes, updated_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session_id, site_id, int(verified), json.dumps(attributes), utc_now()),
            )

    async def open_site_chat(self, site_id: str, user_id: str) -> SessionRecord | None:
        """The proven customer's latest chat on this site that is not closed, if any."""
        row = await self._db.fetch_one(
            "SELECT s.* FROM sessions s JOIN site_sessions w ON w.session_id = s.session_id"
            " WHERE s.user_id = ? AND w.site_id = ? AND w.verified = 1"
            " AND s.status <> 'closed' ORDER BY s.created_at DESC LIMIT 1",
            (user_id, site_id),
        )
        return SessionRecord.from_row(row) if row else None

    async def site_chat(self, session_id: str) -> SiteChatRecord | None:
        """The widget's context of a chat, or None for a chat that did not start there."""
        row = await self._db.fetch_one(
            "SELECT w.*, t.name AS site_name, u.name, u.email FROM site_sessions w"
            " JOIN sessions s ON s.session_id = w.session_id"
            " JOIN users u ON u.user_id = s.user_id"
            " LEFT JOIN sites t ON t.site_id = w.site_id WHERE w.session_id = ?",
            (session_id,),
        )
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
            cursor = await sql.execute(
                f"SELECT attributes FROM site_sessions WHERE session_id = ?{sql.for_update}",
                (session_id,),
            )
            row = cursor.fetchone()
            if row is None:
                raise NotFound("this chat did not start in the widget", "not_a_widget_chat")
            merged = {**json.loads(row[0]), **changes}
            merged = {key: value for key, value in merged.items() if value is not None}
            if len(merged) > limit:
                raise Conflict(f"a chat keeps at most {limit} attributes", "too_many_attributes")
            await sql.execute(
                "UPDATE site_sessions SET attributes = ?, updated_at = ? WHERE session_id = ?",
                (json.dumps(merged), utc_now(), session_id),
            )
        return merged

    async def set_user_profile(self, user_id: str, name: str | None, email: str | None) -> None:
        """Record the customer's name and email as the page or pre-chat form gave them
        (a value not given leaves the stored one)."""
        async with self._db.unit() as sql:
            await sql.execute(
                "UPDATE users SET name = COALESCE(?, name), email = COALESCE(?, email)"
                " WHERE user_id = ?",
                (name, email, user_id),
            )

    async def add_session_token(
        self, session_id: str, token_digest: str, expires_at: str | None
    ) -> None:
        """Another customer token for `session_id` (a device that resumed it); the
        session's expired extra tokens go at the same time."""
        now = utc_now()
        async with self._db.unit() as sql:
            await sql.execute(
                "DELETE FROM session_tokens WHERE session_id = ? AND expires_at <= ?",
                (session_id, now),
            )
            await sql.execute(
                "INSERT INTO session_tokens (token_digest, session_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (token_digest, session_id, now, expires_at),
            )

    async def session_by_extra_token(self, token_digest: str) -> SessionRecord | None:
        """The session an extra customer token opens, with that token's own expiry."""
        row = await self._db.fetch_one(
            "SELECT s.*, t.expires_at AS token_expires_at FROM session_tokens t"
            " JOIN sessions s ON s.session_id = t.session_id WHERE t.token_digest = ?",
            (token_digest,),
        )
        if row is None:
            return None
        return from_columns(
            SessionRecord,
            row,
            status=RoomState(row["status"]),
            expires_at=row["token_expires_at"],
        )


def _missing(site_id: str) -> NotFound:
    return NotFound(f"no site {site_id!r}", "site_not_found")
