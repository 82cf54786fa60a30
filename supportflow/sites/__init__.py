"""Websites that embed the chat (`/widget.js`): their origins, and the identities they sign."""

from __future__ import annotations

from supportflow.sites.identity import sign_user_id, user_hash_matches
from supportflow.sites.origins import SiteOrigins, normalize_origin

__all__ = ["SiteOrigins", "normalize_origin", "sign_user_id", "user_hash_matches"]
