"""An engine's own failure in one line that says what to do.

The located errors (a file, a column, a rule) are raised by segwise itself; under them,
an engine can still fail on a value it cannot read, run out of memory, or lose its
Spark Connect server. The CLI prints this line instead of a traceback, and a failed run
is recorded with it.
"""

from __future__ import annotations

import re

_ENGINE_MODULES = ("polars", "duckdb", "_duckdb", "pyspark", "narwhals", "fastexcel", "pyarrow")

# Out of memory is the machine, not the rows, and the advice differs by engine.
_JVM_OUT_OF_MEMORY = re.compile(r"Java heap space|OutOfMemoryError|GC overhead limit exceeded")
_DUCKDB_OUT_OF_MEMORY = "Out of Memory Error"
# Spark Connect wraps the server's failure in a gRPC error whose first line says nothing.
_GRPC_DETAILS = re.compile(r'details = "([^"]*)"')
_GRPC_GONE = "StatusCode.UNAVAILABLE"


def is_engine_error(exc: BaseException) -> bool:
    """Whether ``exc`` comes from an engine (Polars, DuckDB, Spark, Arrow), not from segwise."""
    return type(exc).__module__.split(".")[0] in _ENGINE_MODULES or driver_stopped(exc)


def driver_stopped(exc: BaseException) -> bool:
    """Whether ``exc`` is PySpark losing its local driver: the JVM exited under a call.

    PySpark raises the socket's ``ConnectionRefusedError`` while handling py4j's
    "Answer from Java side is empty", which a run printed as "Connection refused."
    """
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__module__.startswith("py4j") and type(seen).__name__ == "Py4JNetworkError":
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def engine_failure(exc: BaseException) -> str:
    """One line for an engine's own failure: out of memory, a lost Spark Connect server, the data.

    Examples
    --------
    >>> import duckdb
    >>> engine_failure(duckdb.OutOfMemoryException("Out of Memory Error: no room")).split(".")[0]
    'DuckDB ran out of memory (Out of Memory Error: no room)'
    """
    if driver_stopped(exc):
        return (
            "the Spark driver stopped (its Java process exited: where its last output says "
            "java.lang.OutOfMemoryError, it ran out of memory). Give it more: "
            "spark.driver.memory under engine.spark.config in the project file, then run again."
        )
    text = str(exc).strip()
    details = _GRPC_DETAILS.search(text)
    first = (details.group(1) if details else (text.splitlines() or [type(exc).__name__])[0])[:300]
    if _JVM_OUT_OF_MEMORY.search(text):
        return (
            f"Spark ran out of memory ({first}). Give it more: spark.driver.memory and "
            "spark.executor.memory under engine.spark.config in the project file (a Spark "
            "Connect server takes them at its start), then run again."
        )
    if _DUCKDB_OUT_OF_MEMORY in text:
        return (
            f"DuckDB ran out of memory ({first}). Free memory or disk space for it to spill "
            "to, or run on Spark (engine: spark; docs/scaling.md)."
        )
    if _GRPC_GONE in text:
        return (
            f"the Spark Connect server dropped the connection ({first}). Check that it is "
            "running and reachable (its log says why it stopped), then run again."
        )
    return (
        f"the engine could not process the data: {first}. "
        "Run segwise quality on the input to find the bad rows."
    )
