"""Prometheus metrics of one server: defined here, fed by the parts, read by `GET /metrics`.

Every app gets its own `CollectorRegistry` (kept on `Services`), never the process-wide
default: tests run several apps in one process, and each must count only its own traffic.
The app builds one `Metrics` and hands it to each part's constructor; parts built outside
a server (scripts, tests) default to `UNOBSERVED`, whose registry nobody reads, so no part
ever checks whether it has metrics. Gauges that describe the present (rooms by state, live
actors) are refreshed when scraped.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Seconds: a bot reply is tens of milliseconds alone and seconds under heavy load or Groq.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)

CONTENT_TYPE = CONTENT_TYPE_LATEST


# The escalation reasons counted under their own label. Any other reason (a client may
# send its own to POST /api/escalate) counts as `other`: a label per distinct text would
# let clients create series without bound.
ESCALATION_REASONS = frozenset(
    {
        "low_confidence",
        "long_conversation",
        "frustration",
        "sensitive_topic",
        "human_requested",
        "bot_unavailable",
        "agent_lost",
    }
)


def escalation_label(reason: str) -> str:
    """The `reason` label an escalation reason is counted under."""
    return reason if reason in ESCALATION_REASONS else "other"


class Metrics:
    """The metric families of supportflow, registered in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter(
            "supportflow_messages",
            "Chat messages stored, by sender type (user, bot, agent, system).",
            ["sender_type"],
            registry=r,
        )
        self.bot_reply_seconds = Histogram(
            "supportflow_bot_reply_seconds",
            "Customer message stored to bot reply announced, seconds.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.retrieval_seconds = Histogram(
            "supportflow_retrieval_seconds",
            "One knowledge-base search (embed, vector queries, ranking), seconds.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.embedding_seconds = Histogram(
            "supportflow_embedding_seconds",
            "One encode call of the embedding model (a whole batch), seconds.",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.embedding_batch_size = Histogram(
            "supportflow_embedding_batch_size",
            "Texts per encode call (query micro-batches and ingests).",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.vector_query_seconds = Histogram(
            "supportflow_vector_query_seconds",
            "One Chroma nearest-neighbour call (a whole batch of queries), seconds.",
            buckets=_FAST_BUCKETS,
            registry=r,
        )
        self.vector_query_batch_size = Histogram(
            "supportflow_vector_query_batch_size",
            "Query vectors per Chroma nearest-neighbour call.",
            buckets=_BATCH_BUCKETS,
            registry=r,
        )
        self.escalations = Counter(
            "supportflow_escalations",
            "Escalations opened, by reason (one escalation may count under several);"
            " reasons outside the known set count as `other`.",
            ["reason"],
            registry=r,
        )
        self.claims = Counter(
            "supportflow_claims",
            "Claim attempts by agents, by outcome (won, lost).",
            ["outcome"],
            registry=r,
        )
        self.notes = Counter(
            "supportflow_notes",
            "Private notes added to rooms by agents (never shown to customers).",
            registry=r,
        )
        self.bot_feedback = Counter(
            "supportflow_bot_feedback",
            "Customers' thumbs on bot replies, by verdict (up, down): one vote per reply; the same"
            " vote again counts nothing, a changed one counts under its new verdict.",
            ["verdict"],
            registry=r,
        )
        self.article_feedback = Counter(
            "supportflow_article_feedback",
            'Help-center readers\' "Was this helpful?" on articles, by verdict (up, down):'
            " the help center's twin of supportflow_bot_feedback.",
            ["verdict"],
            registry=r,
        )
        self.ratings = Counter(
            "supportflow_csat_ratings",
            "Customer ratings of closed chats (CSAT), by score 1-5.",
            ["score"],
            registry=r,
        )
        self.rooms = Gauge(
            "supportflow_rooms",
            "Rooms by state, from the database when scraped.",
            ["state"],
            registry=r,
        )
        self.live_rooms = Gauge(
            "supportflow_live_room_actors",
            "Room actors running in this process, by state, when scraped.",
            ["state"],
            registry=r,
        )
        self.sockets = Gauge(
            "supportflow_connected_sockets",
            "Socket.IO connections open now, by role.",
            ["role"],
            registry=r,
        )
        self.groq_calls = Counter(
            "supportflow_groq_calls",
            "Groq chat-completion calls made (after the SDK's own retries).",
            registry=r,
        )
        self.groq_failures = Counter(
            "supportflow_groq_failures",
            "Groq calls that failed and fell back to the offline answer, by kind.",
            ["kind"],
            registry=r,
        )

    def observe_embedding(self, texts: int, seconds: float) -> None:
        self.embedding_batch_size.observe(texts)
        self.embedding_seconds.observe(seconds)

    def observe_vector_query(self, queries: int, seconds: float) -> None:
        self.vector_query_batch_size.observe(queries)
        self.vector_query_seconds.observe(seconds)

    def set_room_states(
        self, gauge: Gauge, counts: dict[str, int], states: tuple[str, ...]
    ) -> None:
        """Set one sample per known state (0 when absent), so series never vanish."""
        for state in states:
            gauge.labels(state=state).set(counts.get(state, 0))

    def exposition(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)


# Counts of parts built outside a server (scripts, tests) go here and are never read.
UNOBSERVED = Metrics()
