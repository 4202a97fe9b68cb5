"""How ``make test`` shares the test modules between its two xdist workers.

Each test module goes to one worker, as ``--dist loadscope`` sends them (its module
fixtures are built once), except that every module that starts Spark goes to the same
worker. Each worker that touches Spark starts its own JVM, pays its start and its cold
first queries (the JIT compiling Spark's generated code), and holds a second gigabyte of
heap beside the other worker's; one JVM serves them all instead, while the other worker
takes the rest of the suite.

The controller, which schedules, has the tests' ids only (it collects nothing), so a
module's use of Spark is read off its source: a ``spark`` mark, or a test or fixture
taking the ``spark``, ``spark_connect_url`` or ``to_engine`` fixture.
``tests/test_scheduling.py`` checks that this finds every module whose tests use Spark.
(xdist's own ``--dist loadgroup`` cannot carry the group: under pytest 9 its suffix on
the tests' ids is no longer applied, and it schedules ungrouped tests one at a time.)
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

SPARK_UNIT = "spark"
#: The fixtures that start Spark (``to_engine`` runs each test once on Spark too).
SPARK_FIXTURES = frozenset({"spark", "spark_connect_url", "to_engine"})
_USES_SPARK = re.compile(
    r"mark\.spark\b|\bto_engine\b|\bspark_connect_url\b|[(,]\s*spark\s*:", re.MULTILINE
)


@cache
def uses_spark(module: Path) -> bool:
    """Whether a test module's source asks for Spark (a mark or one of its fixtures)."""
    try:
        return bool(_USES_SPARK.search(module.read_text(encoding="utf-8")))
    except OSError:
        return False


def unit_of(nodeid: str, rootpath: Path) -> str:
    """The unit a test is scheduled in: its module's, or the Spark unit."""
    scope = nodeid.rsplit("::", 1)[0]  # loadscope's: the module (or its class)
    module = rootpath / scope.split("::", 1)[0]
    # A doctest (src/) never starts Spark, though its module may name a session.
    is_test = module.name.startswith("test_") and module.suffix == ".py"
    return SPARK_UNIT if is_test and uses_spark(module) else scope


class ModulesAndOneSparkWorker(LoadScopeScheduling):
    """``loadscope``'s units (a module each), with every Spark module in one unit.

    The units are queued by their number of tests, most first (``--loadscope-reorder``,
    xdist's default), so the Spark unit, one of the two largest, starts at once on one
    worker and the other takes the rest as it goes.
    """

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid, Path(str(self.config.rootpath)))
