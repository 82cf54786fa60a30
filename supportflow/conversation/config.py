"""Reading the conversation file (TOML): dialogue acts, their replies and exemplars.

The shipped default is `supportflow/conversation/conversation.toml`;
`SUPPORTFLOW_CONVERSATION_PATH` points at another. A malformed file stops the server at
start-up with the offending key named.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from supportflow.errors import ConfigurationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActSpec(_Strict):
    """One dialogue act: the bot's reply and the phrases that recognise it."""

    reply: str = Field(min_length=1)
    exemplars: tuple[str, ...] = Field(min_length=1)
    # A reason to hand over instead of carrying on (feedback that the bot did not help).
    escalate: str | None = None
    # A stricter similarity for this act than the file's `threshold` (acts that hand over).
    threshold: float | None = Field(default=None, gt=0, le=1)


class DialogueActRules(_Strict):
    max_words: int = Field(ge=1)
    threshold: float = Field(gt=0, le=1)
    spelling_threshold: float = Field(gt=0, le=1)
    priority: tuple[str, ...]
    abbreviations: dict[str, str] = Field(default_factory=dict)
    emoji: dict[str, str] = Field(default_factory=dict)
    acts: dict[str, ActSpec] = Field(min_length=1)

    def ordered(self) -> list[str]:
        """Act names, the `priority` ones first, then the rest in file order."""
        named = [name for name in self.priority if name in self.acts]
        return named + [name for name in self.acts if name not in named]


class ConversationRules(_Strict):
    dialogue_acts: DialogueActRules


def load_conversation_rules(path: Path | None = None) -> ConversationRules:
    """The conversation file at `path`, or the shipped one."""
    if path is None:
        text = (
            resources.files("supportflow.conversation")
            .joinpath("conversation.toml")
            .read_text(encoding="utf-8")
        )
        where = "the shipped conversation.toml"
    else:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read the conversation file {path}: {error}") from None
        where = str(path)
    try:
        return ConversationRules.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{where} is not valid TOML: {error}") from None
    except ValidationError as error:
        first = error.errors()[0]
        key = ".".join(str(part) for part in first.get("loc", ()))
        raise ConfigurationError(f"{where}: {key}: {first.get('msg', 'invalid')}") from None
