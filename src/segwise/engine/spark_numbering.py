"""Consecutive row numbers on Spark, in the frame's partition order, without a window.

``monotonically_increasing_id`` is unique and ordered but jumps by 2³³ from one
partition to the next: a quarantined row of a file Spark holds in two partitions was
"row 8589934593". Its high bits are the partition and its low 33 bits the row's place
in it, so one small job counting each partition's rows gives every partition its first
number, and a broadcast join of those offsets numbers the rows, with no window that
would pull every row into one task.
"""

from __future__ import annotations

from typing import Any

from segwise.engine.spark_cache import cached

_ID, _PART, _BEFORE = "__sw_id", "__sw_part", "__sw_before"


def number_rows(native: Any, out: str, *, start: int, cache: bool = True) -> Any:
    """``native`` with ``out``: ``start``, ``start + 1``… in partition, then row, order.

    Parameters
    ----------
    native
        A Spark DataFrame (classic or Spark Connect).
    out
        The new column (``long``).
    start
        The first row's number (0 for positions, 1 for row numbers people read).
    cache
        Cache the numbered frame, so that the partition sizes and the numbers read
        the same rows. A frame straight from its source (a file scan, a table, local
        rows) gives the same rows in the same partitions on every pass, and need not
        be: caching a whole orders table to number it would cost more than the count.
        One after a shuffle (a sample-based range partitioning) must be.
    """
    from pyspark.sql import functions as spark  # noqa: PLC0415 - the optional extra

    ided = native.withColumn(_ID, spark.monotonically_increasing_id()).withColumn(
        _PART, spark.shiftright(spark.col(_ID), 33)
    )
    if cache:
        ided = cached(ided)
    sizes = sorted(tuple(row) for row in ided.groupBy(_PART).count().collect())
    before, offsets = start, []
    for part, size in sizes:
        offsets.append((part, before))
        before += size
    starts = native.sparkSession.createDataFrame(offsets, f"{_PART} long, {_BEFORE} long")
    within = spark.col(_ID).bitwiseAND(spark.lit((1 << 33) - 1))
    return (
        ided.join(spark.broadcast(starts), on=_PART)
        .withColumn(out, (spark.col(_BEFORE) + within).cast("long"))
        .drop(_PART, _BEFORE, _ID)
    )
