"""Placeholders in canned replies: which exist, how a text is checked and filled in.

A canned reply's text uses `str.format` fields by name, `{customer_name}` and the like
(`{{` and `}}` are literal braces). Only the names in `PLACEHOLDERS` are allowed, without
format specs or conversions, so filling a text in can never reach an attribute or fail.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

from supportflow.errors import InvalidInput

PLACEHOLDERS = {
    "customer_name": 'the customer\'s name ("there" when unknown, so "Hi {customer_name}" reads)',
    "customer_id": "the customer's user id",
    "agent_name": "the name of the agent sending the reply",
}
_UNKNOWN_NAME = "there"


@dataclass(frozen=True)
class ReplyContext:
    """What the placeholders of one room stand for."""

    customer_id: str
    customer_name: str | None
    agent_name: str | None


def check_template(text: str) -> None:
    """InvalidInput (`invalid_placeholder`) unless every field in `text` is a known name."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:
        raise InvalidInput(
            f"text: {error} (write {{{{ and }}}} for literal braces)", "invalid_placeholder"
        ) from None
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            known = ", ".join("{" + known + "}" for known in PLACEHOLDERS)
            raise InvalidInput(
                f"text: unknown placeholder {{{name}}}; the known ones are {known}",
                "invalid_placeholder",
            )


def fill(text: str, context: ReplyContext) -> str:
    """`text` (already checked) with its placeholders replaced for `context`."""
    values = {
        "customer_name": context.customer_name or _UNKNOWN_NAME,
        "customer_id": context.customer_id,
        "agent_name": context.agent_name or "",
    }
    return text.format_map(values)
