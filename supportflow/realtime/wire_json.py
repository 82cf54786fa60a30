"""orjson in the shape of the `json` module python-socketio and engine.io are given.

Both call only `dumps(obj, separators=...)` (wanting `str`) and `loads(text)`. orjson
writes compact JSON already, so the options are ignored. It is also stricter than the
standard library on input: NaN, Infinity and lone surrogates are refused (a ValueError,
as malformed JSON always was) instead of reaching the handlers, and integers beyond 64
bits become floats, so the digit-count guard engine.io adds to `json.loads` is not needed.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

JSONDecodeError = orjson.JSONDecodeError


def dumps(obj: Any, **_options: Any) -> str:
    try:
        return orjson.dumps(obj, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        # What orjson will not write (integers beyond 64 bits) the standard library does.
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def loads(data: str | bytes, **_options: Any) -> Any:
    return orjson.loads(data)
