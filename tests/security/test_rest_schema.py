"""REST against its own OpenAPI schema: schemathesis generates requests for every operation
of /openapi.json on a live server; no answer may be a 5xx, and every documented answer must
match its schema. Examples are bounded so the whole run stays well under a minute."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.fakes import FAKE_BOT
from tests.support import ADMIN_TOKEN, LiveServer, server_settings

# Per operation and per generation mode (about 20 operations): the run stays under 30 s.
MAX_EXAMPLES = 12
CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(name="schema_server", scope="module")
def fixture_schema_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("schema") / "data"
    server = LiveServer(server_settings(data_dir), FAKE_BOT).start()
    yield server
    server.stop()


def operations(server: LiveServer) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    # Pages and static files are hidden from the schema, so it lists the JSON API only.
    found = [result.ok() for result in schema.get_all_operations()]
    assert all(operation.path.startswith("/api/") for operation in found), found
    assert len(found) >= 10, f"the schema lists suspiciously few API operations: {found}"
    return found


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, "negative"])
def test_every_operation_answers_within_its_schema(
    schema_server: LiveServer, mode: schemathesis.GenerationMode | str
) -> None:
    generation = schemathesis.GenerationMode(mode)
    # Whichever token an operation wants, the admin's opens it; the checks are about shapes
    # and 5xx, tests/security/test_isolation.py covers who may do what.
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    failures: list[str] = []
    for operation in operations(schema_server):

        @given(case=operation.as_strategy(generation_mode=generation))
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def exercise(case: schemathesis.Case) -> None:
            response = case.call(base_url=schema_server.url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            exercise()
        except Unsatisfiable:
            # Nothing negative to make: an open route without parameters (security: []).
            continue
        except Exception as error:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {error}")
    assert not failures, "\n\n".join(failures)
