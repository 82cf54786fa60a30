"""The statechart renderer, the committed diagrams and the script that writes them."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from supportflow.rooms.machine import TRANSITIONS, RoomState, Trigger
from supportflow.rooms.statechart import render_markdown, render_mermaid
from supportflow.rooms.statechart_svg import dot_digest, render_dot, render_svg, svg_is_current

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "render_statecharts.py"
FIX = "statecharts/ is out of date: run `python scripts/render_statecharts.py` and commit it"
EDGE = re.compile(r"^    (\S+) --> (\S+)(?: : (.*))?$")  # source, dest, labels


def edges(mermaid: str) -> set[tuple[str, str, str | None]]:
    """(source, dest, trigger) for every arrow, one per label of an arrow that has several."""
    found: set[tuple[str, str, str | None]] = set()
    for match in filter(None, (EDGE.match(line) for line in mermaid.splitlines())):
        labels = match[3].split("<br/>") if match[3] else [None]
        found |= {(match[1], match[2], label and label.split()[0]) for label in labels}
    return found


@pytest.mark.parametrize(
    ("relative", "render"),
    [("statecharts/room.mmd", render_mermaid), ("statecharts/room.md", render_markdown)],
)
def test_committed_statechart_matches_a_fresh_render(relative: str, render: object) -> None:
    assert callable(render)
    path = ROOT / relative
    assert path.is_file(), FIX
    assert path.read_text(encoding="utf-8") == render(), FIX


def test_diagram_draws_the_design_table() -> None:
    # Spelled out from the design's table (README, Room lifecycle), independent of TRANSITIONS.
    assert edges(render_mermaid()) == {
        ("[*]", "bot_active", None),
        ("bot_active", "bot_active", "user_message"),
        ("escalating", "escalating", "user_message"),
        ("agent_assigned", "agent_assigned", "user_message"),
        ("bot_active", "escalating", "escalate"),
        ("escalating", "agent_assigned", "claim"),
        ("agent_assigned", "agent_assigned", "agent_message"),
        ("agent_assigned", "bot_active", "release"),
        ("agent_assigned", "escalating", "agent_lost"),
        ("agent_assigned", "agent_assigned", "transfer"),
        ("agent_assigned", "escalating", "transfer_to_team"),
        ("bot_active", "closed", "close"),
        ("escalating", "closed", "close"),
        ("agent_assigned", "closed", "close"),
        ("closed", "[*]", None),
    }


def test_every_state_and_trigger_appears() -> None:
    drawn = edges(render_mermaid())
    assert {s for edge in drawn for s in edge[:2]} - {"[*]"} == {s.value for s in RoomState}
    assert {edge[2] for edge in drawn} - {None} == {t.value for t in Trigger}


def test_guards_appear_on_their_edges() -> None:
    text = render_mermaid()
    assert "escalating --> agent_assigned : claim [has_capacity (store)]" in text
    assert "agent_assigned --> bot_active : release [is_assigned_agent]" in text
    assert "agent_assigned --> closed : close [is_not_another_agent]" in text


def test_only_machine_guards_are_drawn_as_guards() -> None:
    # The capacity rule runs in the store's claim transaction, so it must not be a guard the
    # machine pretends to evaluate; every drawn guard is one the machine really calls.
    claim = next(spec for spec in TRANSITIONS if spec.trigger is Trigger.CLAIM)
    assert claim.guards == () and claim.store_checks == ("has_capacity",)


def test_render_is_deterministic_and_ends_with_a_newline() -> None:
    assert render_mermaid() == render_mermaid()
    assert render_markdown() == render_markdown()
    for text in (render_mermaid(), render_mermaid(RoomState.CLOSED), render_markdown()):
        assert text.endswith("\n") and not text.endswith("\n\n")
    assert render_mermaid().startswith("stateDiagram-v2\n")


@pytest.mark.parametrize("current", list(RoomState))
def test_highlight_marks_only_the_current_state(current: RoomState) -> None:
    text = render_mermaid(current)
    class_lines = [line.strip() for line in text.splitlines() if line.strip().startswith("class ")]
    assert class_lines == [f"class {current} current"]
    assert "classDef current " in text
    assert edges(text) == edges(render_mermaid())


def test_no_highlight_without_a_current_state() -> None:
    assert "class" not in render_mermaid()


def test_markdown_embeds_the_diagram_and_tabulates_every_row() -> None:
    page = render_markdown()
    assert page.startswith("# ")
    assert f"```mermaid\n{render_mermaid()}```\n" in page
    transitions = page.split("## Refusals")[0]
    table = [line for line in transitions.splitlines() if line.startswith("| `")]
    assert len(table) == len(TRANSITIONS)
    assert "| `claim` | `escalating` | `agent_assigned` | none | `has_capacity` |" in page
    assert (
        "| `close` | `bot_active`, `escalating`, `agent_assigned` | `closed` |"
        " `is_not_another_agent` | none |"
    ) in page
    assert "| `claim` | `agent_assigned` | none | `already_claimed` |" in page
    assert "| `transfer` | `agent_assigned` | `is_another_agent` | `same_agent` |" in page


# The script.


@pytest.fixture(name="script")
def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_statecharts", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_script_writes_then_checks(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert script.main(["--check"], root=tmp_path) == 1
    assert not (tmp_path / "statecharts").exists()
    assert "statecharts/room.mmd" in capsys.readouterr().out
    assert script.main([], root=tmp_path) == 0
    assert (tmp_path / "statecharts/room.mmd").read_text(encoding="utf-8") == render_mermaid()
    assert script.main(["--check"], root=tmp_path) == 0
    (tmp_path / "statecharts/room.md").write_text("# stale\n", encoding="utf-8")
    capsys.readouterr()
    assert script.main(["--check"], root=tmp_path) == 1
    out = capsys.readouterr().out
    assert "statecharts/room.md" in out and "room.mmd" not in out


def test_script_check_passes_on_the_checkout() -> None:
    run = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"],
        cwd=ROOT / "scripts",  # paths come from the script's location, not the cwd
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


# The Graphviz picture (statecharts/room.svg).

DOT_EDGE = re.compile(r'^\t(\S+) -> (\S+)(?: \[label="(\w+)[^"]*"\])?$')
needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (apt-get install graphviz)"
)


def dot_edges(source: str) -> set[tuple[str, str, str | None]]:
    names = {"__initial__": "[*]", "__final__": "[*]"}
    matches = (DOT_EDGE.match(line) for line in source.splitlines())
    return {(names.get(m[1], m[1]), names.get(m[2], m[2]), m[3]) for m in matches if m}


def test_dot_draws_the_same_edges_as_mermaid() -> None:
    assert dot_edges(render_dot()) == edges(render_mermaid())
    assert 'escalating -> agent_assigned [label="claim [has_capacity (store)] / agent joins"]' in (
        render_dot()
    )


def test_dot_highlights_only_the_current_state() -> None:
    assert "#ffd54f" not in render_dot()
    text = render_dot(RoomState.ESCALATING)
    filled = [line.split()[0] for line in text.splitlines() if "#ffd54f" in line]
    assert filled == ["escalating"]


def test_committed_svg_was_drawn_from_the_current_definition() -> None:
    path = ROOT / "statecharts/room.svg"
    assert path.is_file(), FIX
    assert svg_is_current(path.read_text(encoding="utf-8")), FIX


def test_svg_check_sees_a_changed_definition() -> None:
    committed = (ROOT / "statecharts/room.svg").read_text(encoding="utf-8")
    assert not svg_is_current(committed.replace(dot_digest(render_dot()), "0" * 64))
    assert not svg_is_current(re.sub(r"<!-- supportflow-dot-sha256: \w+ -->\n", "", committed))


@needs_dot
def test_svg_draws_every_state_and_edge() -> None:
    svg = render_svg()
    assert svg.startswith("<?xml") and "<svg" in svg and svg_is_current(svg)
    titles = set(re.findall(r"<title>([^<]*)</title>", svg))
    assert {s.value for s in RoomState} <= titles
    labels = set(re.findall(r">([a-z_]+) (?:\[|/)", svg))
    assert labels == {t.value for t in Trigger}
