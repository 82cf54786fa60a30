"""Write the committed statecharts from the room machine's definition, or check they are current.

    python scripts/render_statecharts.py           # (re)write statecharts/room.mmd, .md, .svg
    python scripts/render_statecharts.py --check   # write nothing; exit 1 if any file drifted

Paths are relative to the repository root (found from this file), so the script behaves the
same from any working directory. Writing the SVG needs Graphviz's `dot` (Debian's
`graphviz`); checking does not: the SVG carries the digest of the DOT source it was drawn
from, since its bytes depend on the Graphviz version.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    # Run as a file, Python puts scripts/ (not the root) on sys.path; make the checkout's
    # package importable without requiring an install.
    sys.path.insert(0, str(ROOT))

from supportflow.rooms.statechart import render_markdown, render_mermaid  # noqa: E402
from supportflow.rooms.statechart_svg import DotNotFound, render_svg, svg_is_current  # noqa: E402

OUTPUTS: dict[str, Callable[[], str]] = {
    "statecharts/room.mmd": render_mermaid,
    "statecharts/room.md": render_markdown,
    "statecharts/room.svg": render_svg,
}
# How a committed file is compared with the definition: text byte for byte, the SVG by the
# digest of its DOT source.
CURRENT: dict[str, Callable[[str], bool]] = {
    "statecharts/room.mmd": lambda text: text == render_mermaid(),
    "statecharts/room.md": lambda text: text == render_markdown(),
    "statecharts/room.svg": svg_is_current,
}


def drifted(root: Path) -> list[str]:
    """Relative paths of outputs under `root` that are missing or out of date."""
    stale = []
    for relative, is_current in CURRENT.items():
        path = root / relative
        if not path.is_file() or not is_current(path.read_text(encoding="utf-8")):
            stale.append(relative)
    return stale


def write_all(root: Path) -> list[str]:
    """Render every output under `root`; returns the relative paths written.

    Everything is rendered before anything is written, so a missing `dot` writes nothing.
    """
    rendered = {relative: render() for relative, render in OUTPUTS.items()}
    for relative, text in rendered.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # newline="" keeps "\n" on every platform, so the bytes match the drift test.
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    return list(rendered)


def main(argv: Sequence[str] | None = None, *, root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a committed file drifted"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = drifted(root)
        for relative in stale:
            print(f"{relative} is out of date; run: python scripts/render_statecharts.py")
        return 1 if stale else 0
    try:
        written = write_all(root)
    except DotNotFound:
        print("the SVG needs Graphviz's `dot`: apt-get install graphviz", file=sys.stderr)
        return 1
    for relative in written:
        print(f"wrote {relative}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
