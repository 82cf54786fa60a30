"""Webhook signatures: what supportflow sends, and the check a receiver makes.

Each delivery carries `X-Supportflow-Timestamp: <unix seconds>` and
`X-Supportflow-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`. The
timestamp is inside what is signed, so a receiver that also refuses timestamps older than a
few minutes (`verify`) cannot be fed a captured delivery again later (a replay); within
that window it deduplicates on `X-Supportflow-Delivery`.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Supportflow-Signature"
TIMESTAMP_HEADER = "X-Supportflow-Timestamp"
DEFAULT_TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC of `"<timestamp>." + body`."""
    signed = str(timestamp).encode() + b"." + body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def verify(
    secret: str,
    body: bytes,
    timestamp: str,
    signature: str,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether a delivery is genuine and fresh: the receiver's check, from the two headers.

    False for a signature that does not match (compared in constant time), a timestamp that
    is not a whole number, or one further than `tolerance_seconds` from `now`.
    """
    if not timestamp.isdigit() or len(timestamp) > 12:
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance_seconds:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)
