"""How `make test` shares the tests out among pytest-xdist workers (docs/testing.md).

Loaded as a pytest plugin by tests/conftest.py. With `--dist loadfile` a worker runs a whole
test file, so a module-scoped server starts once; but a package-scoped server (the browser
tests', the conversation tests') would start again each time a worker came back to its
package after a file of another one. So the packages in PACKAGE_GROUPS go to one worker
whole, each a single unit of work. (pytest-xdist's own `--dist loadgroup` would do this from
`xdist_group` marks, but xdist 3.8 cannot rename pytest 9's node ids, so it ignores them.)
"""

from __future__ import annotations

from typing import Any

import pytest

# Packages whose tests share a package-scoped fixture: one unit of work each.
PACKAGE_GROUPS = ("tests/browser/", "tests/conversation/")


def work_unit(nodeid: str) -> str:
    """The unit of work a test belongs to: its package in PACKAGE_GROUPS, else its file."""
    path = nodeid.split("::", 1)[0]
    return next((package for package in PACKAGE_GROUPS if path.startswith(package)), path)


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # an xdist hook: never called without it
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class LoadFileOrPackage(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return LoadFileOrPackage(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Refuse a package-scoped fixture in a package PACKAGE_GROUPS does not name: its server
    would start once per file under xdist, quietly."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        for name in getattr(item, "fixturenames", ()):
            for definition in info.name2fixturedefs.get(name, ()) if info else ():
                place = item.path.relative_to(config.rootpath).as_posix()
                if definition.scope == "package" and work_unit(place) == place:
                    raise pytest.UsageError(
                        f"{place} uses the package-scoped fixture {name!r}: add its package "
                        "to PACKAGE_GROUPS in tests/parallel.py"
                    )
