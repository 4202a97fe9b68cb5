"""The suite's scheduling finds every module that starts Spark (tests/scheduling.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.scheduling import SPARK_FIXTURES, SPARK_UNIT, unit_of, uses_spark

if TYPE_CHECKING:
    from pathlib import Path


def _asks_for_spark(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker(SPARK_UNIT) is not None or bool(fixtures & SPARK_FIXTURES)


def test_every_module_with_a_spark_test_is_in_the_spark_unit(
    request: pytest.FixtureRequest,
) -> None:
    items = request.session.items
    spark_modules = {item.path for item in items if _asks_for_spark(item)}
    if not spark_modules:
        pytest.skip("this session collected no Spark test to check (run it with the suite)")
    missed = sorted(str(path) for path in spark_modules if not uses_spark(path))
    assert not missed, f"Spark tests the scheduler does not see: {missed}"
    # And the modules without Spark tests stay units of their own.
    root = request.config.rootpath
    others = {item for item in items if item.path not in spark_modules}
    assert not [item.nodeid for item in others if unit_of(item.nodeid, root) == SPARK_UNIT]


def test_spark_modules_share_one_unit_and_the_others_keep_theirs(
    request: pytest.FixtureRequest,
) -> None:
    root: Path = request.config.rootpath
    assert unit_of("tests/features/test_rfm.py::test_cli_rfm", root) == SPARK_UNIT
    assert unit_of("tests/project/test_pipeline.py::test_a[x]", root) == SPARK_UNIT
    assert unit_of("tests/lang/test_parser.py::test_b", root) == "tests/lang/test_parser.py"
    doctest = "src/segwise/io/dataset.py::segwise.io.dataset.Dataset"
    assert unit_of(doctest, root) == "src/segwise/io/dataset.py"
    # A source module that names a Spark session in its code still runs its doctests alone.
    pipeline = "src/segwise/project/pipeline.py::segwise.project.pipeline.Project"
    assert unit_of(pipeline, root) == "src/segwise/project/pipeline.py"
    assert unit_of("tests/x.py::Suite::test_c", root) == "tests/x.py::Suite"
