"""Every way supportflow refuses a request, and how each looks on the wire.

    SupportflowError            500 internal_error
    ├── InvalidInput            400 invalid_input         (bad JSON, wrong types, bad values)
    │   └── PayloadTooLarge     413 payload_too_large     (bodies, documents, batches)
    ├── Unauthorized            401 unauthorized          (no token, unknown token)
    ├── Forbidden               403 forbidden             (a token that may not do this)
    ├── NotFound                404 not_found             (unknown id or route)
    ├── Conflict                409 conflict              (duplicates, claims, room states)
    │   └── LeaseLost           409 lease_lost            (another node owns the room now)
    ├── RateLimited             429 rate_limited
    └── Unavailable             503 unavailable           (a dependency is down)
    ConfigurationError          raised at start-up, never on the wire

Each error carries a snake_case `code` (a class default, refined per raise where a client
can act on the difference, such as `already_claimed` or `room_closed`) and a human
sentence. HTTP answers `{"error": {"code", "message"}}` with the class's status; Socket.IO
acknowledges `{"ok": false, "error": {"code", "message"}}`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import ValidationError


class SupportflowError(Exception):
    """Base of every error a client can see."""

    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code

    def to_payload(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message}}

    def to_ack(self) -> dict[str, Any]:
        return {"ok": False, **self.to_payload()}


class InvalidInput(SupportflowError):
    status = 400
    default_code = "invalid_input"


class PayloadTooLarge(InvalidInput):
    status = 413
    default_code = "payload_too_large"


class Unauthorized(SupportflowError):
    status = 401
    default_code = "unauthorized"


class Forbidden(SupportflowError):
    status = 403
    default_code = "forbidden"


class NotFound(SupportflowError):
    status = 404
    default_code = "not_found"


class Conflict(SupportflowError):
    status = 409
    default_code = "conflict"


class LeaseLost(Conflict):
    """A write fenced with an older lease than the room's: another node owns the room now."""

    default_code = "lease_lost"


class RateLimited(SupportflowError):
    status = 429
    default_code = "rate_limited"


class Unavailable(SupportflowError):
    status = 503
    default_code = "unavailable"


def invalid_input(error: ValidationError, where: str = "payload") -> InvalidInput:
    """The `InvalidInput` a failed pydantic validation answers with: field by field.

    At most five problems, and field names cut short: both come from the client.
    """
    parts = []
    for item in error.errors()[:5]:
        loc = ".".join(str(part)[:64] for part in item.get("loc", ())) or where
        parts.append(f"{loc}: {item.get('msg', 'invalid')}")
    return InvalidInput("; ".join(parts) or f"the {where} does not match the expected schema")


class ConfigurationError(Exception):
    """A setting that cannot be used; raised before the server starts."""


__all__ = [
    "ConfigurationError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "LeaseLost",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "SupportflowError",
    "Unauthorized",
    "Unavailable",
    "invalid_input",
]
