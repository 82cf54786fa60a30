"""Signed identity: a site's back end vouches for its signed-in customer's id.

`user_hash = hex(HMAC-SHA256(site secret, user_id))`, computed by the company's server (the
secret never reaches a browser) and passed to the widget with the id. supportflow computes
the same and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac


def sign_user_id(secret: str, user_id: str) -> str:
    """The user_hash a site's back end sends with `user_id` (lowercase hex)."""
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def user_hash_matches(secret: str, user_id: str, user_hash: str) -> bool:
    """Whether `user_hash` is `user_id`'s signature under `secret` (hex, any case)."""
    expected = sign_user_id(secret, user_id)
    # compare_digest needs ASCII on both sides; anything else cannot be a hex digest.
    given = user_hash.strip().lower()
    return given.isascii() and hmac.compare_digest(expected, given)
