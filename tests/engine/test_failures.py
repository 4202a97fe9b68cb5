"""An engine's own failure is one line that says what to do: memory, a lost server, the data."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest
import typer

from segwise.cli.console import user_errors
from segwise.engine.failures import engine_failure

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
