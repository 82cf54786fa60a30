"""How a setting is declared and read: its variable names, and the sources of a section.

A field `name` is read from `SUPPORTFLOW_<NAME>`, except the seed's `PORT`, `DATABASE_URL`
and `GROQ_API_KEY`; a few earlier names still work as aliases (`LEGACY_NAMES`). Every
section (`Section`) reads its fields by those names, flat as they always were: nesting
is how the code holds settings, not how an operator spells them.

A section built plainly (`RoomSettings(...)`) reads nothing: it is the defaults plus what
it is given. Inside `reading(environment)` it reads the environment, over the values of a
`.env` file (real environment variables win).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, ClassVar

from dotenv import dotenv_values
from pydantic import AliasChoices, Field
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from pydantic_settings.sources.utils import parse_env_vars

PREFIX = "SUPPORTFLOW_"

# Field -> earlier variable names still read (after the current one); docs/configuration.md
# lists them.
LEGACY_NAMES: dict[str, tuple[str, ...]] = {
    "log_level": ("LOG_LEVEL",),
    "groq_timeout_seconds": ("SUPPORTFLOW_GROQ_TIMEOUT",),
    "groq_max_retries": ("SUPPORTFLOW_GROQ_RETRIES",),
    "rules_path": ("SUPPORTFLOW_RULES_FILE",),
    "conversation_path": ("SUPPORTFLOW_CONVERSATION_FILE",),
    "chunk_overlap_chars": ("SUPPORTFLOW_CHUNK_OVERLAP",),
    "webhook_timeout_seconds": ("SUPPORTFLOW_WEBHOOK_TIMEOUT",),
}
# The seed's names, read without the prefix.
_SEED_NAMES = {"port": "PORT", "database_url": "DATABASE_URL", "groq_api_key": "GROQ_API_KEY"}


def env_names(field: str) -> tuple[str, ...]:
    """The variables `field` is read from, the current name first."""
    current = _SEED_NAMES.get(field, PREFIX + field.upper())
    return (current, *LEGACY_NAMES.get(field, ()))


def setting(default: Any, meaning: str, *, shown: str | None = None, **bounds: Any) -> Any:
    """A field read from its variables; `shown` is the default as docs/configuration.md shows it."""
    return Field(default, description=meaning, json_schema_extra={"shown": shown}, **bounds)


def named(
    field: str, default: Any, meaning: str, *, shown: str | None = None, **bounds: Any
) -> Any:
    """A `setting` whose variable names are not just the prefixed field name."""
    return Field(
        default,
        description=meaning,
        json_schema_extra={"shown": shown},
        validation_alias=AliasChoices(*env_names(field)),
        **bounds,
    )


class Environment:
    """The variables to read: a mapping (os.environ, or a test's dict) and a `.env` file."""

    def __init__(self, environ: Mapping[str, str], dotenv_path: Path | None) -> None:
        self.environ = environ
        self.dotenv_path = dotenv_path

    def names(self) -> set[str]:
        """Every variable set, in the environment or the `.env` file (upper case)."""
        dotenv = self.dotenv_path or Path(".env")
        found = set(dotenv_values(dotenv)) if dotenv.is_file() else set()
        return {name.upper() for name in (*found, *self.environ)}


_READING: ContextVar[Environment | None] = ContextVar("settings_environment", default=None)


@contextmanager
def reading(environment: Environment) -> Iterator[None]:
    """Sections built inside the block read `environment`."""
    token = _READING.set(environment)
    try:
        yield
    finally:
        _READING.reset(token)


class Section(BaseSettings):
    """A group of settings of one concern, read from flat `SUPPORTFLOW_*` names."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        frozen=True,
        extra="ignore",
        env_ignore_empty=True,
        validate_by_name=True,
        validate_default=False,
    )
    # Attributes holding sections, never read from a variable of their own name: a stray
    # SUPPORTFLOW_WEBHOOKS must not stop the server (their fields are read by the sections).
    not_variables: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        environment = _READING.get()
        if environment is None:
            return (init_settings,)  # a plain constructor reads nothing
        dotenv = environment.dotenv_path or Path(".env")
        return (
            init_settings,
            _MappingSource(settings_cls, environment.environ),
            _DotEnvSource(settings_cls, env_file=dotenv if dotenv.is_file() else None),
        )


def _skipped(settings_cls: type[BaseSettings], field_name: str) -> bool:
    return issubclass(settings_cls, Section) and field_name in settings_cls.not_variables


class _MappingSource(EnvSettingsSource):
    """Environment variables from a given mapping (os.environ, or a test's dict)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ  # before super(): it loads the variables
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if _skipped(self.settings_cls, field_name):
            return None, field_name, False
        return super().get_field_value(field, field_name)


class _DotEnvSource(DotEnvSettingsSource):
    """A `.env` file's variables, sections' attributes skipped as above."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        if _skipped(self.settings_cls, field_name):
            return None, field_name, False
        return super().get_field_value(field, field_name)
