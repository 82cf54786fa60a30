"""Checks on what clients send that no schema expresses: text that cannot be stored, and
text that shows nothing. REST and Socket.IO both use them, at the edge."""

from __future__ import annotations

import unicodedata
from typing import Any

from supportflow.errors import InvalidInput

# Characters that render as nothing although their category says "letter" or "symbol".
_BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
_MAX_DEPTH = 64


def is_invisible(text: str) -> bool:
    """True when `text` would show nothing: only spaces, zero-width and format characters,
    variation selectors, or blank-looking fillers."""
    return all(_shows_nothing(char) for char in text)


def _shows_nothing(char: str) -> bool:
    if char in _BLANK_LOOKALIKES or unicodedata.category(char) in _INVISIBLE_CATEGORIES:
        return True
    code = ord(char)
    return 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF  # variation selectors


def ensure_encodable(value: Any, what: str = "payload") -> None:
    """InvalidInput if any string in `value` (nested lists and dicts too) is not valid
    Unicode text, such as a lone surrogate from a JSON `\\ud800` escape: such a string
    cannot be stored or sent on, so it is refused before anything is done with it."""
    _check(value, what, 0)


def _check(value: Any, what: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise InvalidInput(f"the {what} is nested too deeply")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput(f"the {what} holds text that is not valid Unicode") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, what, depth + 1)
            _check(item, what, depth + 1)
    elif isinstance(value, list | tuple):
        for item in value:
            _check(item, what, depth + 1)
