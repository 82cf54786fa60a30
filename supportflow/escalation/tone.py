"""A clearly negative tone: a complaint in words no rule lists.

"They wanted $75 to switch 3 phones! I said no way! shame!", "we are facing very poor
network in my village", "is anyone else having problems with their phone saying no
service?": aggrieved or in trouble now, yet no profanity, no "not working", nothing the word
rules (`rules.toml`) name. VADER (Hutto and Gilbert 2014), a sentiment lexicon with rules
built for social-media text (negation, intensifiers, "but", capitals, punctuation, emoticons
and slang such as "smh"), scores a message's tone from -1 to +1. Its lexicon ships in its
wheel: nothing is downloaded.

A message counts as frustrated at `NEGATIVE_TONE` or below: half the scale, where VADER puts
several negative words or one strongly negative one, not the single "problem" or "error" of
a how-to question ("I have a problem setting up my address", -0.40; VADER's own line for
"negative" is -0.05). Chosen from the scale's meaning; 5-fold cross-validation over the dev
escalation messages and tweets chose the same value on every fold (docs/quality.md).
A how-to question's sentences are left out of the score: their words are the topic's.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from sentencex import segment
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

NEGATIVE_TONE = -0.5
# A question asking how to do something or what something is: its words name a topic
# ("how do I block scam calls?", "what happens if my phone is stolen?"). Grammar, not topics:
# "why is your service so bad?" and "is anyone else having problems?" still count.
_HOW_TO = re.compile(
    r"^\W*(?:how|what|where|which|when|who|(?:can|could|do|should)\s+i|is\s+there|are\s+there)\b",
    re.IGNORECASE,
)

_loading = threading.Lock()


@lru_cache(maxsize=1)
def _analyzer() -> SentimentIntensityAnalyzer:
    # Reads its lexicon files (~10 ms): once, under a lock, so two threads never both do.
    with _loading:
        return SentimentIntensityAnalyzer()


def load_tone() -> None:
    """Read the sentiment lexicon now (start-up runs this off the event loop)."""
    _analyzer()


def tone(text: str) -> float:
    """VADER's compound score of `text`: -1 (most negative) to +1."""
    return float(_analyzer().polarity_scores(text)["compound"])


def said_tone(text: str) -> float:
    """The tone of what the customer says, their how-to questions left out (0: nothing
    else): "how do I block scam calls?" names a topic, and "scam" is its word, not theirs."""
    said = [sentence for sentence in segment("en", text) if not _HOW_TO.match(sentence)]
    return tone(" ".join(said)) if said else 0.0


def sounds_negative(text: str) -> bool:
    """True when what the customer says is clearly negative (`NEGATIVE_TONE` or below)."""
    return said_tone(text) <= NEGATIVE_TONE
