"""How `make test` shares the tests out among pytest-xdist workers (docs/testing.md).

Loaded as a pytest plugin by tests/conftest.py. With `--dist loadfile` a worker runs a whole
test file, so a module-scoped server starts once. What several files share (the demo-KB
server of the browser and conversation tests) is session-scoped: once per worker, each
worker being a pytest session of its own. A package-scoped fixture would start again each
time a worker came back to its package after a file of another one, so it is refused.

The files in SPLIT_FILES share nothing but session fixtures: each of their tests is a unit
of its own, so their long tests run side by side; the tests that load torch (TORCH_TESTS)
are one unit, so only one worker loads it. The units go out longest first (by
UNIT_SECONDS, else by their number of tests), so no long one starts last.
"""

from __future__ import annotations

from typing import Any

import pytest

# Files whose tests are each a unit of work: no module-scoped fixture, long tests.
SPLIT_FILES = ("tests/knowledge/test_encoder.py",)
# Except the tests of a split file that use its torch model (`torch_model`, ~10 s of CPU a
# load): one unit, so one worker loads it once. Collection refuses one missing here.
TORCH_FIXTURE = "torch_model"
TORCH_UNIT = "tests/knowledge/test_encoder.py::torch_model"
TORCH_TESTS = frozenset(
    f"tests/knowledge/test_encoder.py::{name}"
    for name in (
        "test_the_onnx_encoder_agrees_with_torch",
        "test_without_onnxruntime_auto_runs_torch_and_warns",
        "test_an_export_that_disagrees_with_torch_is_not_used",
        "test_torch_never_exports",
        "test_the_embedder_reports_the_fallback",
    )
)

# Seconds a unit took on four workers (a run of 2026-12-07 at a load average of 5 to 10,
# rounded): only the order of the queue depends on them. Another unit counts SECONDS_A_TEST
# a test (most take a fraction of a second).
SECONDS_A_TEST = 0.5
UNIT_SECONDS = {
    "tests/cluster/test_three_nodes.py": 60,
    "tests/api/test_contract.py": 60,
    "tests/conversation/test_chat.py": 55,
    "tests/security/test_rest_schema.py": 50,
    "tests/realtime/test_room_flow.py": 45,
    "tests/reliability/test_shutdown.py": 40,
    "tests/cluster/test_workers.py": 40,
    "tests/browser/test_widget.py": 35,
    "tests/knowledge/test_chroma_server.py": 35,
    "tests/browser/test_help_center.py": 30,
    "tests/conversation/test_acts.py": 30,
    "tests/reliability/test_crash.py": 25,
    "tests/browser/test_dropped.py": 20,
    "tests/cluster/test_team_alerts.py": 20,
    "tests/browser/test_chat.py": 20,
    "tests/browser/test_admin.py": 20,
    "tests/browser/test_console.py": 20,
    "tests/browser/test_console_tools.py": 20,
    "tests/realtime/test_teams.py": 20,
    "tests/browser/test_screenshots.py": 15,
    "tests/store/test_fencing.py": 15,
    "tests/reports/test_reports.py": 15,
    "tests/llm/test_groq.py": 15,
    "tests/escalation/test_rules.py": 15,
    "tests/realtime/test_office_hours.py": 15,
    TORCH_UNIT: 20,
}


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: the test itself in SPLIT_FILES, else its file."""
    path = nodeid.split("::", 1)[0]
    if path not in SPLIT_FILES:
        return path
    test = nodeid.split("[", 1)[0]
    return TORCH_UNIT if test in TORCH_TESTS else test


def expected_seconds(unit: str, tests: int) -> float:
    return UNIT_SECONDS.get(unit, SECONDS_A_TEST * tests)


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # an xdist hook: never called without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LongestFirst(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

        def _assign_work_unit(self, node: Any) -> None:
            # xdist queues units by their number of tests; reorder by expected time before
            # each pick (the queue is only filled once, so the first pick sorts it for good).
            ordered = sorted(
                self.workqueue.items(), key=lambda item: -expected_seconds(item[0], len(item[1]))
            )
            self.workqueue.clear()
            self.workqueue.update(ordered)
            super()._assign_work_unit(node)

    return LongestFirst(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a package-scoped fixture: under xdist its server would start once per file,
    quietly. What several files share is session-scoped (once per worker)."""
    for item in items:
        test = item.nodeid.split("[", 1)[0]
        uses_torch = TORCH_FIXTURE in getattr(item, "fixturenames", ())
        if item.nodeid.split("::", 1)[0] in SPLIT_FILES and uses_torch != (test in TORCH_TESTS):
            raise pytest.UsageError(
                f"{test} {'uses' if uses_torch else 'does not use'} {TORCH_FIXTURE!r}: "
                "tests/parallel.py's TORCH_TESTS must list exactly the tests that do"
            )
        info = getattr(item, "_fixtureinfo", None)
        for name in getattr(item, "fixturenames", ()):
            for definition in info.name2fixturedefs.get(name, ()) if info else ():
                if definition.scope == "package":
                    place = item.path.relative_to(config.rootpath).as_posix()
                    raise pytest.UsageError(
                        f"{place} uses the package-scoped fixture {name!r}: make it "
                        "session-scoped (one per xdist worker), as tests/conftest.py's "
                        "demo_server"
                    )
