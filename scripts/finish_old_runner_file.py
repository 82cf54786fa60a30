"""Bring a SQLite file the old migration runner left below version 9 to version 9.

The one upgrade step for such files (docs/database.md): supportflow migrates with Alembic
alone and refuses them at start-up. This applies the old runner's remaining SQL files
(`scripts/old_runner/NNN_*.sql`, frozen) in order, each whole or not at all with its
`PRAGMA user_version`; the next start stamps the file as revision 009 and Alembic takes it
from there. Stop supportflow first; a file at 0 (new) or at 9 and later is left alone.

    .venv/bin/python scripts/finish_old_runner_file.py data/supportflow.db
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

OLD_RUNNER_FILES = Path(__file__).parent / "old_runner"
LAST_VERSION = 9


def old_runner_scripts() -> list[tuple[int, str]]:
    """The old runner's SQL files, in order: (version, SQL)."""
    return [
        (int(path.name.split("_", 1)[0]), path.read_text(encoding="utf-8"))
        for path in sorted(OLD_RUNNER_FILES.glob("[0-9][0-9][0-9]_*.sql"))
    ]


def finish(path: Path) -> tuple[int, int]:
    """Apply the files above the file's version; (version before, version after)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        start = int(connection.execute("PRAGMA user_version").fetchone()[0])
        if start == 0 or start >= LAST_VERSION:
            return start, start
        connection.execute("PRAGMA foreign_keys=ON")
        for version, sql in old_runner_scripts():
            if start < version <= LAST_VERSION:
                # executescript commits first, so each file carries its own transaction.
                connection.executescript(
                    f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;"
                )
        return start, int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", type=Path, help="the SQLite file")
    args = parser.parse_args()
    if not args.database.is_file():
        print(f"no such file: {args.database}", file=sys.stderr)
        return 2
    before, after = finish(args.database)
    if before == after:
        print(f"{args.database}: at version {before}, nothing to do")
    else:
        print(f"{args.database}: version {before} -> {after}; start supportflow to finish")
    return 0


if __name__ == "__main__":
    sys.exit(main())
