"""Write docs/configuration.md's table from `supportflow.settings`, or check it is current.

python scripts/render_settings_table.py           # rewrite the table in docs/configuration.md
python scripts/render_settings_table.py --check   # write nothing; exit 1 if it drifted
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a file: make the checkout's package importable

from supportflow.settings import configuration_table  # noqa: E402

START = "<!-- configuration table: generated from supportflow/settings/ by"
END = "<!-- end of configuration table -->"


def rendered(readme: str) -> str:
    """`readme` with the text between the markers replaced by a fresh table."""
    head, found, rest = readme.partition(START)
    if not found or END not in rest:
        raise SystemExit("docs/configuration.md has no configuration table markers")
    marker_line, _, _ = rest.partition("\n")
    _, _, tail = rest.partition(END)
    return f"{head}{START}{marker_line}\n{configuration_table()}{END}{tail}"


def main(
    argv: Sequence[str] | None = None, readme: Path = ROOT / "docs" / "configuration.md"
) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the table drifted")
    args = parser.parse_args(argv)
    text = readme.read_text(encoding="utf-8")
    fresh = rendered(text)
    if args.check:
        if fresh != text:
            print("docs/configuration.md's table is out of date; run:")
            print("  python scripts/render_settings_table.py")
            return 1
        return 0
    readme.write_text(fresh, encoding="utf-8")
    print("wrote the configuration table in docs/configuration.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
