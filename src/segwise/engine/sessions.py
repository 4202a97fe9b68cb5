"""Engine sessions: where a run computes, and moving its tables there.

The embedded default is Polars; DuckDB runs in-process; Spark runs wherever
its master points. Only this module (and ``frames``/``portable``) knows the
three engines; the project asks for an engine by name.
"""

from __future__ import annotations

import os
import re
import warnings
from typing import TYPE_CHECKING, Any

import duckdb

from segwise.engine.spark_cache import checkpointed
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Mapping

    import narwhals.stable.v2 as nw

ENGINES = ("polars", "duckdb", "spark")
#: Shuffle parts per core on a local master: for local[2], 4 took a run of Online Retail
#: II's RFM and propensity from 126 s (Spark's 200) to 60 s (BENCHMARKS.md).
SHUFFLE_PARTS_PER_CORE = 2
_LOCAL = re.compile(r"local(?:\[(\*|\d+)(?:,\s*\d+)?\])?")
JAVA_OPTIONS = "spark.driver.extraJavaOptions"
EXIT_ON_OOM = "-XX:+ExitOnOutOfMemoryError"


def check_engine(name: str) -> str:
    """The engine ``name`` names (in any case: ``--engine Spark``), else a ConfigError.

    Examples
    --------
    >>> check_engine("DuckDB")
    'duckdb'
    """
    engine = name.strip().lower()
    if engine not in ENGINES:
        raise ConfigError(
            f"engine must be polars, duckdb or spark, not '{name}'", hint="e.g. --engine duckdb"
        )
    return engine


def session_settings(
    config: Mapping[str, str] | None = None, *, remote: bool = False, master: str | None = None
) -> dict[str, str]:
    """The settings segwise gives a Spark session it starts: its defaults, then ``config``.

    Dates are UTC. PySpark 4's DataFrame debugging context records the Python call site of
    every column operation in the driver (five or more extra driver calls each): for segwise
    every call site is inside Narwhals, no help in an error, and it doubled the calls that
    build a plan (1,287 against 676 for one RFM's bin counts), so it is off. A Connect
    server owns that setting (it is static there), so a client does not send it, nor the
    console settings: Spark's own progress bars and warnings are off, since they broke up
    the command's progress and lines (Online Retail II on Spark printed 90 warnings), and
    the driver's JVM exits when it runs out of memory rather than hang
    (:func:`_exit_on_out_of_memory`).
    On a ``local`` master, where the driver's cores are all the cluster there is, a shuffle
    makes two parts per core, not Spark's 200 (sized for clusters; SHUFFLE_PARTS_PER_CORE).

    Examples
    --------
    >>> zone = "spark.sql.session.timeZone"
    >>> session_settings()[zone], session_settings({zone: "Europe/Paris"})[zone]
    ('UTC', 'Europe/Paris')
    >>> "spark.python.sql.dataFrameDebugging.enabled" in session_settings(remote=True)
    False
    >>> session_settings(master="local[2]")["spark.sql.shuffle.partitions"]
    '4'
    """
    defaults = {"spark.sql.session.timeZone": "UTC"}
    if not remote:
        defaults["spark.python.sql.dataFrameDebugging.enabled"] = "false"
        defaults["spark.ui.showConsoleProgress"] = "false"
        defaults["spark.log.level"] = "ERROR"
    cores = None if master is None else local_cores(master)
    if cores is not None:
        defaults["spark.sql.shuffle.partitions"] = str(SHUFFLE_PARTS_PER_CORE * cores)
    settings = {**defaults, **(config or {})}
    if not remote:
        settings[JAVA_OPTIONS] = _exit_on_out_of_memory(settings.get(JAVA_OPTIONS, ""))
    return settings


def _exit_on_out_of_memory(options: str) -> str:
    """The driver's Java options, with the JVM exiting when it runs out of memory.

    A driver whose scheduler thread ran out of heap went on living without it, and the
    run waited for an answer for ever (Online Retail II on a 500 MB driver: killed after
    400 s); exiting ends the call, and the run says what happened
    (:func:`segwise.engine.failures.engine_failure`). Options already given are kept,
    and so is a choice of their own about running out of memory.
    """
    if "OutOfMemory" in options:
        return options
    return f"{options} {EXIT_ON_OOM}".strip()


def local_cores(master: str) -> int | None:
    """The cores of a ``local`` master (``local``, ``local[4]``, ``local[*]``); None for others.

    Examples
    --------
    >>> local_cores("local[4]"), local_cores("local"), local_cores("yarn")
    (4, 1, None)
    """
    found = _LOCAL.fullmatch(master.strip())
    if found is None:
        return None
    cores = found.group(1)
    if cores == "*":
        return os.cpu_count() or 1
    return int(cores) if cores else 1


def spark_session(
    master: str = "local[2]", config: Mapping[str, str] | None = None, remote: str | None = None
) -> Any:
    """A SparkSession (created or reused) in UTC, with the project's settings.

    ``remote`` (``sc://host:15002``) connects to a Spark Connect server instead of
    starting a driver here. Needs the optional ``segwise[spark]`` extra.
    """
    from pyspark.sql import SparkSession  # noqa: PLC0415 - the optional segwise[spark] extra

    with warnings.catch_warnings():
        # PySpark warns, while it starts a session (classic or Connect), that it does not fully
        # support pandas 3. segwise moves tables to and from Spark as Arrow, never through
        # pandas: the warning is not about anything a run does, and it printed on every
        # command that used Spark.
        warnings.filterwarnings(
            "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
        )
        builder = (
            SparkSession.builder.remote(remote) if remote else SparkSession.builder.master(master)
        )
        settings = session_settings(config, remote=bool(remote), master=None if remote else master)
        for key, value in settings.items():
            builder = builder.config(key, value)
        return builder.getOrCreate()


def on_engine(
    tables: Mapping[str, nw.LazyFrame[Any]], engine: str, spark: Any = None
) -> dict[str, Any]:
    """The tables as native frames of ``engine`` (Polars lazy, DuckDB relations, Spark frames).

    Examples
    --------
    >>> import narwhals.stable.v2 as nw, polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"a": [1, 2]}))
    >>> type(on_engine({"t": frame}, "duckdb")["t"]).__name__
    'DuckDBPyRelation'
    """
    engine = check_engine(engine)
    if engine == "polars":
        return {k: v.to_native() for k, v in tables.items()}
    if engine == "spark":
        # Warehouse tables are Spark frames already: they stay where they are.
        moved = {k: v.to_native() for k, v in tables.items() if _on_spark(v)}
        rest = {k: v for k, v in tables.items() if k not in moved}
        return {**moved, **_to_spark(rest, spark)} if rest else moved
    arrow = {k: v.collect(backend="pyarrow").to_native() for k, v in tables.items()}
    connection = duckdb.connect()
    return {k: connection.from_arrow(v) for k, v in arrow.items()}


def _on_spark(frame: nw.LazyFrame[Any]) -> bool:
    implementation = frame.implementation
    return bool(implementation.is_pyspark() or implementation.is_pyspark_connect())


def _to_spark(tables: Mapping[str, nw.LazyFrame[Any]], spark: Any) -> dict[str, Any]:
    if spark is None:
        spark = spark_session()
    return {
        k: checkpointed(spark.createDataFrame(v.collect(backend="pyarrow").to_native()))
        for k, v in tables.items()
    }
