"""The room lifecycle as a Graphviz picture (SVG), from the same data the room machines run.

The Mermaid text (`supportflow.rooms.statechart`) is what pages draw in the browser; this
is the picture a reviewer sees in the repository without a browser: `statecharts/room.svg`,
written by `scripts/render_statecharts.py`. The DOT source is built with the `graphviz`
package and laid out by Graphviz's `dot` program (Debian's `graphviz`).

SVG bytes depend on the Graphviz version, so the committed file is not compared byte for
byte: it carries the SHA-256 of the DOT source it was drawn from, and `svg_is_current()`
compares that with a fresh DOT source (which needs no `dot` at all).
"""

from __future__ import annotations

import hashlib
import re

import graphviz

from supportflow.rooms.machine import FINAL_STATE, INITIAL_STATE, STATES, TRANSITIONS, RoomState
from supportflow.rooms.statechart import edge_label

# Same colours as the Mermaid highlight, so both pictures read alike.
_HIGHLIGHT = {
    "style": "rounded,filled",
    "fillcolor": "#ffd54f",
    "color": "#e65100",
    "penwidth": "3",
}
_LAYOUT = {"rankdir": "TB", "fontname": "Helvetica", "nodesep": "0.8", "ranksep": "0.6"}
_INITIAL_NODE = "__initial__"
_FINAL_NODE = "__final__"
_DIGEST_MARK = "supportflow-dot-sha256"
_DIGEST = re.compile(rf"<!-- {_DIGEST_MARK}: ([0-9a-f]{{64}}) -->")

# Raised by render_svg() when Graphviz's `dot` is not installed.
DotNotFound = graphviz.ExecutableNotFound


def render_dot(current: RoomState | None = None) -> str:
    """DOT source of TRANSITIONS (deterministic, table order); `current` is filled when given."""
    graph = graphviz.Digraph("room", graph_attr=_LAYOUT)
    graph.attr("node", shape="box", style="rounded", fontname="Helvetica")
    graph.attr("edge", fontname="Helvetica", fontsize="10")
    graph.node(_INITIAL_NODE, label="", shape="point", width="0.2")
    for state in STATES:
        graph.node(state.value, **(_HIGHLIGHT if state is current else {}))
    graph.node(_FINAL_NODE, label="", shape="doublecircle", width="0.15", style="filled")
    graph.edge(_INITIAL_NODE, INITIAL_STATE.value)
    for spec in TRANSITIONS:
        for source in spec.sources:
            graph.edge(source.value, spec.dest.value, label=edge_label(spec))
    graph.edge(FINAL_STATE.value, _FINAL_NODE)
    return str(graph.source)


def dot_digest(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def render_svg() -> str:
    """The lifecycle as SVG, stamped with its DOT source's digest.

    Runs Graphviz's `dot`; raises `DotNotFound` when it is not installed
    (`apt-get install graphviz`).
    """
    source = render_dot()
    svg = graphviz.pipe_string("dot", "svg", source, encoding="utf-8")
    stamp = f"<!-- {_DIGEST_MARK}: {dot_digest(source)} -->"
    # After the XML declaration, which must stay the first thing in the file.
    head, _, rest = svg.partition("\n")
    if head.startswith("<?xml"):
        return f"{head}\n{stamp}\n{rest}"
    return f"{stamp}\n{svg}"


def svg_is_current(svg: str) -> bool:
    """True when `svg` was drawn from today's DOT source (compared by digest, not bytes)."""
    match = _DIGEST.search(svg)
    return match is not None and match[1] == dot_digest(render_dot())


__all__ = ["DotNotFound", "dot_digest", "render_dot", "render_svg", "svg_is_current"]
