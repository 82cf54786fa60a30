"""Chats started from the widget: anonymous, or a site's proven customer, whose open chat on
that site is resumed wherever they sign in.

An anonymous chat is what `POST /api/sessions` opens, plus the site it came from. A customer
the site's back end vouches for (`user_id` with its `user_hash`) gets their latest chat on
that site that is still open, with a token of its own for this device, or a new chat.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from supportflow.auth import USER_PREFIX, new_token, token_digest
from supportflow.errors import Conflict, Forbidden, InvalidInput
from supportflow.sites.identity import user_hash_matches
from supportflow.store import SessionRecord, Store, utc_in
from supportflow.store.sites import SiteRecord

ANONYMOUS_PREFIX = "anon-"
MAX_ATTRIBUTES = 20


@dataclass(frozen=True)
class Visitor:
    """Who opens a chat from the widget, as the page (and its back end) said."""

    user_id: str | None = None  # None: anonymous
    user_hash: str | None = None
    name: str | None = None
    email: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WidgetChat:
    """A chat the widget may open: its session, this device's token, and whether it was
    already going on (resumed) or just started."""

    session: SessionRecord
    token: str
    resumed: bool
    verified: bool  # its customer was proven by a user_hash (else anonymous)


def proven_user_id(site: SiteRecord, user_id: str, user_hash: str | None) -> str:
    """`user_id`, if `user_hash` proves the site's back end vouches for it.

    InvalidInput `user_hash_required` without a hash, Forbidden `identity_refused` with a
    wrong one (or one signed with a secret since rotated).
    """
    if not user_hash:
        raise InvalidInput(
            "a user_id needs its user_hash: hex HMAC-SHA256 of the user_id, keyed with the"
            " site secret, computed by your server",
            "user_hash_required",
        )
    if not user_hash_matches(site.secret, user_id, user_hash):
        raise Forbidden(
            "user_hash does not match this user_id for this site (signed with another or an"
            " old secret?)",
            "identity_refused",
        )
    return user_id


async def resume_chat(
    store: Store, site: SiteRecord, user_id: str, token_ttl_seconds: float
) -> WidgetChat | None:
    """The proven customer's open chat on this site with a new token for it, or None."""
    session = await store.open_site_chat(site.site_id, user_id)
    if session is None:
        return None
    token = new_token(USER_PREFIX)
    await store.add_session_token(
        session.session_id, token_digest(token), utc_in(token_ttl_seconds)
    )
    return WidgetChat(session, token, resumed=True, verified=True)


async def open_chat(
    store: Store, site: SiteRecord, visitor: Visitor, token_ttl_seconds: float
) -> WidgetChat:
    """A chat for `visitor`: a proven customer's open chat on this site, else a new one."""
    if site.prechat_fields and visitor.user_id is None:
        missing = [name for name in site.prechat_fields if not getattr(visitor, name)]
        if missing:
            # 409, not 400: the request is well formed, the site's settings want more.
            raise Conflict(
                f"this site's pre-chat form asks for {' and '.join(missing)}", "prechat_required"
            )
    if visitor.user_id is not None:
        user_id = proven_user_id(site, visitor.user_id, visitor.user_hash)
        resumed = await resume_chat(store, site, user_id, token_ttl_seconds)
        if resumed is not None:
            await _remember_profile(store, resumed.session, visitor)
            if visitor.attributes:
                await store.merge_chat_attributes(
                    resumed.session.session_id, visitor.attributes, MAX_ATTRIBUTES
                )
            return resumed
    else:
        # Random, so no one can be given someone else's history; the prefix tells agents.
        user_id = f"{ANONYMOUS_PREFIX}{secrets.token_hex(12)}"
    token = new_token(USER_PREFIX)
    # Two writes, the session first: a failure between them leaves an ordinary chat that is
    # simply never resumed, never a widget context pointing at nothing.
    session = await store.create_session(user_id, token_digest(token), utc_in(token_ttl_seconds))
    await store.add_site_chat(
        session.session_id, site.site_id, visitor.user_id is not None, visitor.attributes
    )
    await _remember_profile(store, session, visitor)
    return WidgetChat(session, token, resumed=False, verified=visitor.user_id is not None)


async def _remember_profile(store: Store, session: SessionRecord, visitor: Visitor) -> None:
    if visitor.name or visitor.email:
        await store.set_user_profile(session.user_id, visitor.name, visitor.email)
