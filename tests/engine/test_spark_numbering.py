"""Consecutive row numbers on Spark, partition after partition."""

from __future__ import annotations

from typing import Any

import pytest

from segwise.engine.spark_numbering import number_rows


@pytest.mark.spark
def test_rows_are_numbered_in_order_across_partitions(spark: Any) -> None:
    frame = spark.range(0, 1000, 1, 4)  # ids 0..999 in four partitions, in order
    numbered = number_rows(frame, "row", start=1).collect()
    assert sorted(r["row"] for r in numbered) == list(range(1, 1001))
    assert all(r["row"] == r["id"] + 1 for r in numbered)
    # An empty partition (a filter leaves the first one empty) shifts nothing after it.
    later = number_rows(frame.filter("id >= 250"), "at", start=0).collect()
    assert all(r["at"] == r["id"] - 250 for r in later)
    assert number_rows(frame.filter("id < 0"), "row", start=1).count() == 0
    # A frame straight from its source numbers alike without a cache.
    uncached = number_rows(frame, "row", start=1, cache=False).collect()
    assert all(r["row"] == r["id"] + 1 for r in uncached)
