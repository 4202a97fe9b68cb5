"""An engine's own failure is one line that says what to do: memory, a lost server, the data."""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest
import typer

from segwise.cli.console import user_errors
from segwise.engine.failures import driver_stopped, engine_failure, is_engine_error

if TYPE_CHECKING:
    from pathlib import Path


def _duckdb_out_of_memory() -> duckdb.Error:
    connection = duckdb.connect()
    connection.execute("SET memory_limit = '20MB'; SET temp_directory = ''; SET threads = 1")
    try:
        connection.execute("SELECT list(i) FROM range(20000000) t(i)").fetchall()
    except duckdb.OutOfMemoryException as exc:
        return exc
    pytest.fail("DuckDB held 20M integers in 20 MB")


def test_duckdb_out_of_memory_says_memory_not_bad_rows(capsys: pytest.CaptureFixture[str]) -> None:
    failure = _duckdb_out_of_memory()

    @user_errors
    def command() -> None:
        raise failure

    with pytest.raises(typer.Exit) as exited:
        command()
    assert exited.value.exit_code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("error: DuckDB ran out of memory (Out of Memory Error: failed to")
    assert "spill" in line
    assert "bad rows" not in line


def _grpc_failure(details: str) -> Exception:
    """What a Spark Connect client raises when the server fails: the gRPC error's text."""
    connect = pytest.importorskip("pyspark.errors.exceptions.connect")
    return connect.SparkConnectGrpcException(
        "<_InactiveRpcError of RPC that terminated with:\n"
        "\tstatus = StatusCode.UNAVAILABLE\n"
        f'\tdetails = "{details}"\n'
        '\tdebug_error_string = "UNKNOWN:Error received from peer"\n>'
    )


def test_a_spark_connect_server_out_of_heap_names_the_memory_settings() -> None:
    # As the server's JVM ran out of heap during the suite (the old message quoted only the
    # first line, which says nothing).
    line = engine_failure(
        _grpc_failure("GOAWAY received; Error code: 2; Debug Text: Java heap space")
    )
    assert line.startswith(
        "Spark ran out of memory (GOAWAY received; Error code: 2; Debug Text: Java heap space)"
    )
    assert "spark.driver.memory" in line and "engine.spark.config" in line


def test_a_lost_spark_connect_server_is_said_so() -> None:
    assert engine_failure(_grpc_failure("failed to connect to all addresses")) == (
        "the Spark Connect server dropped the connection (failed to connect to all "
        "addresses). Check that it is running and reachable (its log says why it stopped), "
        "then run again."
    )


def test_a_value_the_engine_cannot_read_still_points_to_the_bad_rows() -> None:
    try:
        pl.Series(["12", "n/a"]).cast(pl.Int64)
    except pl.exceptions.InvalidOperationError as exc:
        line = engine_failure(exc)
    assert line.startswith("the engine could not process the data: conversion from `str`")
    assert line.endswith("Run segwise quality on the input to find the bad rows.")


def test_a_run_failed_by_the_engine_is_recorded_in_the_same_line(tmp_path: Path) -> None:
    from datetime import datetime

    from segwise.project import Project
    from segwise.project.running import _record_failure

    project = Project.from_yaml(Project.init(tmp_path))
    failure = _duckdb_out_of_memory()
    _record_failure(project, datetime.now(), "2024-12-31", failure)
    (error,) = project.store.failures()["error"].to_list()
    assert error == engine_failure(failure)
    assert "\n" not in error


_DRIVER_OUT_OF_HEAP = """
import sys, typer
from segwise.cli.console import user_errors
from segwise.engine.sessions import spark_session

@user_errors
def command() -> None:
    spark = spark_session(config={"spark.driver.memory": "512m"})
    # One array of 150M longs (1.2 GB) at once: out of a 512 MB heap without a GC's struggle.
    spark.range(1).selectExpr("size(array_repeat(id, 150000000))").collect()

try:
    command()
except typer.Exit as exited:
    sys.exit(exited.exit_code)
"""


@pytest.mark.spark
def test_a_local_driver_out_of_heap_stops_and_says_so() -> None:
    """The driver's JVM exits when out of heap (a scheduler thread out of heap left a run
    waiting for ever), and PySpark's "Connection refused" becomes what happened."""
    if shutil.which("java") is None:
        pytest.skip("needs Java on PATH")
    pytest.importorskip("pyspark.sql", reason="needs the segwise[spark] extra")
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER_OUT_OF_HEAP],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    # The JVM's own last word (on stdout): it exited, it did not hang.
    assert "Terminating due to java.lang.OutOfMemoryError" in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the Spark driver stopped (its Java process exited:")
    assert "spark.driver.memory under engine.spark.config" in last
    assert "Traceback" not in done.stderr


def test_only_a_lost_py4j_answer_is_a_stopped_driver() -> None:
    py4j = pytest.importorskip("py4j.protocol")

    def refused_while_handling(first: Exception) -> ConnectionRefusedError:
        try:
            try:
                raise first
            except (py4j.Py4JNetworkError, ValueError):
                raise ConnectionRefusedError(111, "Connection refused")  # noqa: B904 - as PySpark
        except ConnectionRefusedError as exc:
            return exc

    lost = refused_while_handling(py4j.Py4JNetworkError("Answer from Java side is empty"))
    assert driver_stopped(lost) and is_engine_error(lost)
    assert not driver_stopped(refused_while_handling(ValueError("a port in use")))
    assert not driver_stopped(ConnectionRefusedError(111, "Connection refused"))
