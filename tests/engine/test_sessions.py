"""Engine sessions: the demo project through a Spark Connect server the tests start.

Clusters (Databricks, EMR, a ``start-connect-server.sh``) are reached as Spark Connect
clients; this runs the same client/server path on loopback, against the Connect server
that the shared Spark session's JVM runs (``spark_connect_url`` in ``tests/conftest.py``).
The run is a ``segwise run`` subprocess: a Connect client switches the whole Python
process into Connect mode, which the other Spark tests (classic sessions) must not inherit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest

from segwise.engine.sessions import on_engine, session_settings
from segwise.engine.spark_cache import released_caches
from segwise.exceptions import ConfigError
from segwise.project import Project

SEGWISE = Path(sys.executable).with_name("segwise")


def _project(folder: Path, engine: str) -> Path:
    Project.init(folder)
    config = folder / "segwise.yaml"
    text = config.read_text()
    assert "\nengine: polars" in text
    config.write_text(text.replace("\nengine: polars", f"\nengine: {engine}", 1))
    return config


@pytest.mark.spark
def test_demo_project_through_spark_connect_gives_the_polars_memberships(
    spark_connect_url: str, served_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    written = tmp_path / "lake" / "memberships"
    remote = _project(
        tmp_path / "remote",
        f'{{spark: {{remote: "{spark_connect_url}", memberships: {{path: "{written}"}}}}}}',
    )
    # The events are read by the server where they lie, as a cluster reads object storage.
    events = tmp_path / "remote" / "data" / "events.parquet"
    text = remote.read_text()
    assert "    path: data/events.parquet\n" in text
    remote.write_text(
        text.replace("    path: data/events.parquet\n", f"    warehouse: {{path: '{events}'}}\n")
    )
    done = subprocess.run(
        [str(SEGWISE), "run", str(remote), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in done.stderr, done.stderr[-3000:]  # PySpark's pandas notice is not ours
    # The same demo, run on Polars by the session's shared fixture.
    through_connect = Project.from_yaml(remote).store.memberships()
    on_polars = Project.from_yaml(served_project[0]).store.memberships()
    assert through_connect.height == on_polars.height > 0
    assert through_connect.equals(on_polars)
    # And the memberships were written back, as files partitioned by run, by the server.
    back = pl.scan_parquet(written / "**" / "*.parquet", hive_partitioning=True).collect()
    assert back["run_id"].unique().to_list() == [1]
    ordered = back.select("segmentation", "customer_id", "segment").sort(
        "segmentation", "customer_id", "segment"
    )
    expected = on_polars.select("segmentation", "customer_id", "segment").sort(
        "segmentation", "customer_id", "segment"
    )
    assert ordered.equals(expected)


def test_master_and_remote_are_one_or_the_other(tmp_path: Path) -> None:
    both = _project(tmp_path, '{spark: {master: "local[2]", remote: "sc://host:15002"}}')
    with pytest.raises(ConfigError, match="master or remote, not both"):
        Project.from_yaml(both)
    (tmp_path / "segwise.yaml").write_text(
        both.read_text().replace('master: "local[2]", remote: "sc://host:15002"', 'remote: "h:1"')
    )
    with pytest.raises(ConfigError, match=r"remote must be a Spark Connect URL like sc://"):
        Project.from_yaml(both)


DEBUGGING = "spark.python.sql.dataFrameDebugging.enabled"


def test_a_started_session_is_in_utc_without_the_debugging_context_unless_configured() -> None:
    quiet = {
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": "ERROR",
        "spark.driver.extraJavaOptions": "-XX:+ExitOnOutOfMemoryError",
    }
    assert session_settings() == {"spark.sql.session.timeZone": "UTC", DEBUGGING: "false", **quiet}
    # The project's `engine.spark.config` wins over each default.
    assert session_settings({DEBUGGING: "true", "spark.executor.memory": "8g"}) == {
        "spark.sql.session.timeZone": "UTC",
        DEBUGGING: "true",
        **quiet,
        "spark.executor.memory": "8g",
    }
    # A Connect server refuses the static setting (a warning on every client run).
    assert session_settings(remote=True) == {"spark.sql.session.timeZone": "UTC"}


def test_the_driver_exits_out_of_memory_beside_the_java_options_given() -> None:
    options = "spark.driver.extraJavaOptions"
    given = session_settings({options: "-Dderby.system.home=/tmp/d"})[options]
    assert given == "-Dderby.system.home=/tmp/d -XX:+ExitOnOutOfMemoryError"
    # A choice of one's own about running out of memory is kept as it is.
    dump = "-XX:+HeapDumpOnOutOfMemoryError"
    assert session_settings({options: dump})[options] == dump


@pytest.mark.parametrize(
    ("master", "parts"),
    [
        ("local[2]", "4"),
        ("local", "2"),
        ("local[3, 2]", "6"),
        ("local[*]", str(2 * (os.cpu_count() or 1))),
    ],
)
def test_a_local_master_shuffles_into_two_parts_per_core(master: str, parts: str) -> None:
    """Spark's 200 parts are sized for a cluster: on local[2] they made a run twice as long."""
    assert session_settings(master=master)["spark.sql.shuffle.partitions"] == parts
    given = {"spark.sql.shuffle.partitions": "64"}
    assert session_settings(given, master=master)["spark.sql.shuffle.partitions"] == "64"


@pytest.mark.parametrize("master", ["yarn", "spark://host:7077", "k8s://https://host"])
def test_a_cluster_keeps_its_own_shuffle_parts(master: str) -> None:
    assert "spark.sql.shuffle.partitions" not in session_settings(master=master)


def _persisted(spark: Any) -> set[int]:
    return {int(key) for key in spark.sparkContext._jsc.getPersistentRDDs().keySet()}


@pytest.mark.spark
def test_a_table_moved_to_spark_is_stored_once_not_carried_by_every_task(spark: Any) -> None:
    """Sent rows cached as they came still rode in each task's partition (35 MB a task for
    Online Retail II, a hung run on a 1 GB driver); checkpointed, a task carries a block id."""
    orders = nw.from_native(
        pl.LazyFrame({"customer_id": ["a", "b", "a"], "amount": [5.0, 2.0, 1.0]})
    )
    with released_caches():
        moved = on_engine({"transactions": orders}, "spark", spark)["transactions"]
        query = moved.filter("amount > 1")._jdf.queryExecution()
        # Over the rows themselves the optimizer would fold each filter into a copy of them.
        assert "LocalRelation" not in query.optimizedPlan().toString()
        parts = {p.getClass().getSimpleName() for p in query.toRdd().partitions()}
        assert parts == {"CheckpointRDDPartition"}  # not ParallelCollectionPartition
        assert sorted(moved.filter("amount > 1").toArrow()["amount"].to_pylist()) == [2.0, 5.0]
        stored = moved._jdf.queryExecution().analyzed().rdd().id()
        assert stored in _persisted(spark)
    assert stored not in _persisted(spark)  # freed when the run ends, not at a later JVM GC
