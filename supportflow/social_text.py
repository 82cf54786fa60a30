"""Social text read as plain words, before retrieval and the escalation rules see it.

Customers paste from Twitter, WhatsApp and mail: "@Nimbus my wifi is sooo slow #NoInternet
https://t.co/x 😡 &amp; nobody helps". What the knowledge base can match is "my wifi is so slow
no internet and nobody helps". Each step is a maintained library where one exists:

- mojibake and HTML entities (`ftfy`, then `html.unescape` for what ftfy leaves);
- URLs and @handles dropped (the dataset's and the platforms' handles name nobody useful);
- #hashtags split into words (`wordsegment`, its word counts ship in the wheel);
- emoji read as their names (`emoji`), or dropped for retrieval, where "enraged face" only
  adds noise;
- elongated words ("sooo", "pleeease") folded to the most frequent English spelling of
  their letter runs (wordsegment's counts again): "sooo" -> "so", "hellooo" -> "hello".

Nothing here downloads anything: wordsegment reads its bundled files on `load_words()`.
That costs a third of a second of CPU and most messages never need it (no hashtag, no
elongation), so it is read for the first message that does: `words_ready` reads it off the
event loop before such a message is read.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import threading

import emoji
import ftfy
import wordsegment
from bm25s.stopwords import STOPWORDS_EN

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@\w+")
_HASHTAG = re.compile(r"(?<![\w#])#(\w+)")
_RUN = re.compile(r"([A-Za-z])\1{2,}")  # three or more of one letter
_ELONGATED = re.compile(r"\b\w*([A-Za-z])\1{2,}\w*\b")
# "Hi @nimbus." leaves "Hi ." behind.
_SPACE_BEFORE_STOP = re.compile(r"\s+([.,;:!?])")
# Runs folded per word: each run is one or two letters, so 2**runs spellings are tried.
_MAX_RUNS = 4

_loaded = threading.Lock()


def load_words() -> None:
    """Read wordsegment's bundled word counts once (about a second: run it off the loop)."""
    with _loaded:
        if not wordsegment.UNIGRAMS:
            wordsegment.load()


# What may need the word counts once ftfy and html.unescape have run: a hashtag (an entity
# such as "&#35;" can become one), a run of three letters, or anything not ASCII, which ftfy
# may turn into either (full-width letters).
_MAY_NEED_WORDS = re.compile(r"[#&]|([A-Za-z])\1{2,}|[^\x00-\x7f]")


def needs_words(text: str) -> bool:
    """True when the word counts are not read yet and reading `text` may need them."""
    return not wordsegment.UNIGRAMS and _MAY_NEED_WORDS.search(text) is not None


async def words_ready(*texts: str) -> None:
    """Read the word counts off the event loop if reading any of `texts` needs them, so
    `readable` never reads them on the loop."""
    if any(needs_words(text) for text in texts):
        await asyncio.to_thread(load_words)


def _count(word: str) -> float:
    return float(wordsegment.UNIGRAMS.get(word.lower(), 0.0))


def split_hashtag(tag: str) -> str:
    """'NoInternetAgain' -> 'no internet again'; digits kept ('Season2' -> 'season 2')."""
    load_words()
    return " ".join(wordsegment.segment(tag)) or tag


def unelongate(word: str) -> str:
    """The most frequent spelling of `word` with each run of 3+ letters cut to one or two."""
    load_words()
    runs = list(_RUN.finditer(word))
    if not runs or len(runs) > _MAX_RUNS:
        return _RUN.sub(r"\1\1", word)
    spellings: list[str] = []
    for lengths in itertools.product((1, 2), repeat=len(runs)):
        pieces: list[str] = []
        start = 0
        for run, length in zip(runs, lengths, strict=True):
            pieces.append(word[start : run.start()] + run.group(1) * length)
            start = run.end()
        pieces.append(word[start:])
        spellings.append("".join(pieces))
    best = max(spellings, key=_count)
    return best if _count(best) > 0 else _RUN.sub(r"\1\1", word)


def _emoji_name(chars: str, data: dict[str, str]) -> str:
    return " " + data["en"].strip(":").replace("_", " ") + " "


def readable(text: str, emoji_words: bool = False) -> str:
    """`text` as plain words: see the module docstring. Never empty when `text` is not."""
    fixed = html.unescape(ftfy.fix_text(text))
    fixed = _URL.sub(" ", fixed)
    fixed = _HANDLE.sub(" ", fixed)
    fixed = _HASHTAG.sub(lambda tag: " " + split_hashtag(tag.group(1)) + " ", fixed)
    if emoji_words:
        fixed = emoji.replace_emoji(fixed, replace=_emoji_name)
    else:
        fixed = emoji.replace_emoji(fixed, replace=" ")
    fixed = _ELONGATED.sub(lambda word: unelongate(word.group(0)), fixed)
    # Punctuation a handle or URL leaves at the start (", yet ...") is noise too.
    cleaned = _SPACE_BEFORE_STOP.sub(r"\1", " ".join(fixed.split())).lstrip(",.;: ")
    return cleaned or text


# Shouting: at least this many words in capitals, and most of the message's words. One or
# two capitalised words are acronyms ("AT&T", "APN"), not a raised voice.
SHOUTED_WORDS = 3
SHOUTED_SHARE = 0.6
# Or a raised voice inside a calm message: this many capitalised words in a row, one of them
# a function word ("NO MANAGER TO ESCALATE MY ISSUE TO"). Acronyms come in ones and twos and
# never hold "to" or "the" ("reset the APN SIM PIN" is not shouted); a shouted phrase does.
SHOUTED_RUN = 4
# Words of two letters or more: "I" and "a" neither count nor break a run of capitals, and
# punctuation does not break one ("NO MANAGER, NO SUPERVISOR" is one run).
_LETTER_WORD = re.compile(r"[A-Za-z]{2,}")


def shouting(text: str) -> bool:
    """True when the message, or a phrase of it, is written in capitals ("PAY ATTENTION TO
    ME"; "he said there is NO MANAGER OR SUPERVISOR TO ESCALATE MY ISSUE TO")."""
    found = _LETTER_WORD.findall(text)
    loud = [word for word in found if word.isupper()]
    if len(loud) >= SHOUTED_WORDS and len(loud) >= SHOUTED_SHARE * len(found):
        return True
    return _shouted_phrase(found)


def _shouted_phrase(words: list[str]) -> bool:
    run: list[str] = []
    for word in [*words, ""]:
        if word.isupper():
            run.append(word.lower())
            continue
        if len(run) >= SHOUTED_RUN and any(w in STOPWORDS_EN for w in run):
            return True
        run = []
    return False
