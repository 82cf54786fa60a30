"""Logging set-up: one `key=value` line per event, to stderr and a file in the data dir."""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path
from typing import Any

_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class KeyValueFormatter(logging.Formatter):
    """`ts=... level=... logger=... msg="..." key=value ...` (fields from `extra=`)."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update({k: v for k, v in record.__dict__.items() if k not in _RESERVED})
        line = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _quote(value: Any) -> str:
    text = str(value)
    if not text or any(c in text for c in ' "='):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file only its owner may read (0600): logs name users and rooms."""

    def _open(self) -> Any:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.fchmod(fd, 0o600)  # a file created before this version may be 0644
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


# Chatty libraries stay at WARNING unless asked for DEBUG (transitions logs an INFO line
# for every state entered and every callback run).
CHATTY_LIBRARIES = (
    "httpx",
    "chromadb",
    "sentence_transformers",
    "engineio",
    "socketio",
    "transitions",
)
# aiosqlite logs every statement with its parameters at DEBUG (message bodies, token
# digests): never, whatever the level asked for.
QUIETED_LIBRARY = "aiosqlite"


def configure_logging(level: str, log_dir: Path | None = None) -> None:
    """Route supportflow's logs (and the libraries') through one formatter."""
    formatter = KeyValueFormatter()
    handlers: list[logging.Handler] = [logging.StreamHandler()]
    if log_dir is not None:
        log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        log_dir.chmod(0o700)
        handlers.append(
            PrivateRotatingFileHandler(
                log_dir / "supportflow.log", maxBytes=10 * 1024 * 1024, backupCount=3
            )
        )
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY_LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
    logging.getLogger(QUIETED_LIBRARY).setLevel(logging.INFO)
