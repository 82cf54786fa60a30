"""How `make test` cuts the suite into units of work for the xdist workers (tests/parallel.py)."""

from __future__ import annotations

from tests.parallel import TORCH_TESTS, TORCH_UNIT, work_unit


def test_a_file_is_one_unit() -> None:
    assert work_unit("tests/api/test_contract.py::test_x[a]") == "tests/api/test_contract.py"


def test_a_split_file_s_tests_are_units_of_their_own_but_its_torch_tests_are_one() -> None:
    encoder = "tests/knowledge/test_encoder.py"
    assert work_unit(f"{encoder}::test_a_changed_model_is_exported_again") == (
        f"{encoder}::test_a_changed_model_is_exported_again"
    )
    assert len(TORCH_TESTS) > 1
    assert {work_unit(test) for test in TORCH_TESTS} == {TORCH_UNIT}
