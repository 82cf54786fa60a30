"""Off-topic: a message the knowledge base clearly does not cover gets a short reply, not a queue.

"What's the weather like?", "go Astros!": nothing in the knowledge base is near it, and no
escalation rule fired (no anger, no sensitive topic, no request for a person). Handing it
to the agents' queue as "low confidence" wastes an agent; answering from the nearest
article is wrong. So the bot says what it can help with (the knowledge base's own
categories, most articles first) and offers quick replies: "Talk to a person" and the two
articles nearest the message. Picking an article answers from it (the same pending-choice
path as a clarifying question, `clarify.py`); "Talk to a person" is a request for a person
(the escalation rules hand over); a second off-topic message in a row hands over as
`low_confidence`: the customer needs something the bot does not have.

"Clearly" is KB coverage, one figure: the retrieval evidence (`llm/answer.py`) below
`OFF_TOPIC_EVIDENCE`. It sits below a clarifying question's floor (`MIN_EVIDENCE` 0.34,
"near the knowledge base's ground") with a margin: chosen, not fitted. docs/reading.md gives
how often it fires on the dev files.

Only a short message is chatter ("DM sent", "go Astros!", "I have a question"): at most
`clarify.MAX_WORDS` words, the length below which a clarifying question is asked too. A long
message the knowledge base does not cover ("No NBC or ABC in my area this afternoon! Why
these 2 channels?", "the World Series is on tonight and your service is out in my
neighborhood") says what the customer needs, and the bot has nothing for it: the usual
hand-over, not a list of topics.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from supportflow.conversation.clarify import MAX_WORDS, distinct_articles
from supportflow.knowledge.base import DocumentSummary
from supportflow.knowledge.retrieval import Retrieval
from supportflow.llm.answer import retrieval_evidence
from supportflow.rooms.responder import Reply, Source, Turn

OFF_TOPIC = "off_topic"  # the reply's act: the conversation's memory reads it
OFF_TOPIC_EVIDENCE = 0.25
TALK_TO_A_PERSON = "Talk to a person"
TOPICS_OFFERED = 2
CATEGORIES_NAMED = 4


def is_off_topic(text: str, retrieval: Retrieval) -> bool:
    """True when `text` is short chatter and nothing in the knowledge base is near it."""
    return len(text.split()) <= MAX_WORDS and retrieval_evidence(retrieval) < OFF_TOPIC_EVIDENCE


def follows_off_topic(history: Sequence[Turn]) -> bool:
    """True when the bot's last message was an off-topic reply."""
    for turn in reversed(history):
        if turn.sender_type in ("user", "system"):
            continue
        return turn.sender_type == "bot" and turn.metadata.get("act") == OFF_TOPIC
    return False


def categories_named(catalogue: Sequence[DocumentSummary]) -> list[str]:
    """The knowledge base's categories with the most articles, as a customer reads them."""
    counts = Counter(doc.category for doc in catalogue if doc.category)
    return [name.replace("-", " ").replace("_", " ").lower() for name, _ in counts.most_common()][
        :CATEGORIES_NAMED
    ]


def off_topic_text(categories: Sequence[str]) -> str:
    if not categories:
        return (
            "I'm not sure I can help with that. Pick one of the topics below, "
            "or ask to talk to a person."
        )
    listed = (
        ", ".join(categories[:-1]) + f" and {categories[-1]}"
        if len(categories) > 1
        else (categories[0])
    )
    return (
        f"I'm not sure I can help with that: I answer questions about {listed}. "
        "Pick one of the topics below, or ask to talk to a person."
    )


def likely_topics(retrieval: Retrieval) -> tuple[Source, ...]:
    """The two distinct articles nearest the message, best first."""
    return distinct_articles(retrieval.documents, TOPICS_OFFERED)


def off_topic_reply(
    retrieval: Retrieval,
    categories: Sequence[str],
    query: str,
    provider: str,
    considered: tuple[Source, ...] = (),
) -> Reply:
    """The short reply: what the bot can help with, and the quick replies. `considered`:
    retrieval's ranking, for agents and evaluation, as on every reply that searched."""
    return Reply(
        text=off_topic_text(categories),
        confidence=0.0,
        provider=provider,
        query=query,
        act=OFF_TOPIC,
        suggestions=likely_topics(retrieval),
        considered=considered,
    )
