"""Per-client rate limits on the REST routes anyone can reach and that cost something.

`POST /api/sessions` creates rows, `POST /api/ask` may call a paid LLM, `POST /api/escalate`
alerts every agent, a help-center search embeds a question and a help-center vote counts in
the metrics: each has an allowance a minute per client address
(`SUPPORTFLOW_SESSIONS_PER_MINUTE`, `..._ASKS_...`, `..._ESCALATIONS_...`,
`..._HELP_SEARCHES_...`, `..._HELP_VOTES_...`). Requests with
the admin token are never limited, so operators and integrations keep working.
"""

from __future__ import annotations

from enum import StrEnum

from supportflow.api.context import bearer_token, client_address, services
from supportflow.errors import RateLimited
from supportflow.settings import LimitSettings
from supportflow.token_buckets import KeyedBuckets


class Costly(StrEnum):
    SESSIONS = "sessions"
    ASK = "ask"
    ESCALATE = "escalate"
    HELP_SEARCH = "help search"
    HELP_VOTE = "help vote"


def rest_allowances(settings: LimitSettings) -> dict[str, KeyedBuckets]:
    """Each costly route group's buckets, one per client address: built once per app."""
    return {
        Costly.SESSIONS: KeyedBuckets.every_minute(settings.sessions_per_minute),
        Costly.ASK: KeyedBuckets.every_minute(settings.asks_per_minute),
        Costly.ESCALATE: KeyedBuckets.every_minute(settings.escalations_per_minute),
        Costly.HELP_SEARCH: KeyedBuckets.every_minute(settings.help_searches_per_minute),
        Costly.HELP_VOTE: KeyedBuckets.every_minute(settings.help_votes_per_minute),
    }


def check_rate(route: Costly) -> None:
    """429 `rate_limited` when the caller's address has spent its allowance for `route`."""
    current = services()
    if current.authenticator.is_admin(bearer_token()):
        return
    buckets = current.rest_allowances[route]
    if not buckets.take(client_address()):
        raise RateLimited(
            f"too many {route.value} requests from this address: at most"
            f" {buckets.per_minute:g} a minute"
        )
