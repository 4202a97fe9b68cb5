"""Non-portable operations give identical results on Polars, DuckDB and Spark."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest

import segwise as sw
from segwise.engine import portable
from segwise.engine.datetimes import try_to_datetime
from segwise.engine.frames import Backend, backend_of

RAW = pl.DataFrame(
    {
        "x": [" 1.5", "abc", None, "nan", "-2", "1e3", "inf"],
        "t": [
            "2024-01-31 10:00:00",
            "31/01/2024",
            None,
            "2024-02-30 00:00:00",
            "2024-02-01 00:00:00",
            " 2024-12-31 23:59:59 ",
            "x",
        ],
    }
)
# NaN and infinities come through; the row checks reject them (see io/validate.py).
EXPECTED_FLOATS = [1.5, None, None, "nan", -2.0, 1000.0, float("inf")]
EXPECTED_TIMES = [
    datetime(2024, 1, 31, 10),
    None,
    None,
    None,
    datetime(2024, 2, 1),
    datetime(2024, 12, 31, 23, 59, 59),
    None,
]


def spark_frame(spark: Any, frame: pl.DataFrame) -> Any:
    """A Spark DataFrame of an all-text Polars frame, without going through pandas."""
    schema = ", ".join(f"`{name}` string" for name in frame.columns)
    return spark.createDataFrame(frame.rows(), schema=schema)


def _frames(spark: Any | None) -> dict[str, nw.LazyFrame[Any]]:
    frames = {
        "polars": nw.from_native(RAW.lazy()),
        "duckdb": nw.from_native(duckdb.sql("SELECT * FROM RAW")),
    }
    if spark is not None:
        frames["spark"] = nw.from_native(spark_frame(spark, RAW))
    return frames


def _run(frame: nw.LazyFrame[Any]) -> pl.DataFrame:
    frame = portable.try_to_float(frame, "x", "v")
    frame = try_to_datetime(frame, "t", "ts", fmt="%Y-%m-%d %H:%M:%S")
    frame = portable.with_row_number(frame, "row")
    out: pl.DataFrame = frame.collect(backend="polars").to_native()
    return out.sort("row")


def _assert_engine(frame: nw.LazyFrame[Any]) -> None:
    out = _run(frame)
    shown = ["nan" if isinstance(v, float) and math.isnan(v) else v for v in out["v"].to_list()]
    assert shown == EXPECTED_FLOATS
    assert out["ts"].to_list() == EXPECTED_TIMES


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_try_casts_on_embedded_engines(engine: str) -> None:
    _assert_engine(_frames(None)[engine])


@pytest.mark.spark
def test_try_casts_on_spark(spark: Any) -> None:
    frame = _frames(spark)["spark"]
    assert backend_of(frame) is Backend.SPARK
    _assert_engine(frame)


def test_count_distinct_rows_treats_nulls_as_equal() -> None:
    frame = pl.LazyFrame({"a": [1, 1, None, None, 2], "b": ["x", "x", None, None, "x"]})
    assert portable.count_distinct_rows(nw.from_native(frame), ["a", "b"]) == 3
    relation = duckdb.sql("SELECT * FROM frame")
    assert portable.count_distinct_rows(nw.from_native(relation), ["a", "b"]) == 3


MESSY = pl.DataFrame(
    {
        "InvoiceNo": ["1", "C2", "3", "4", "5", "5", "6"],
        "CustomerID": ["00042", "00042", None, "00043", "00044", "00044", "00045"],
        "InvoiceDate": [
            "2024-01-01 10:00:00",
            "2024-01-02 10:00:00",
            "2024-01-03 10:00:00",
            "bad",
            "2024-01-05 10:00:00",
            "2024-01-05 10:00:00",
            "2024-01-06 10:00:00",
        ],
        "Quantity": ["2", "-1", "1", "1", "3", "3", "1"],
        "UnitPrice": ["5", "5", "1", "1", "2", "2", "zero"],
    }
)


def _report_and_data(source: Any) -> tuple[dict[str, Any], pl.DataFrame]:
    dataset = sw.read_transactions(source, duplicates="drop")
    report = dataset.quality().to_dict()
    for key in ("source", "notes"):
        report.pop(key)
    data = dataset.data.collect(backend="polars").to_native().sort("customer_id", "timestamp")
    return report, data


@pytest.mark.spark
def test_ingestion_is_identical_on_polars_duckdb_and_spark(spark: Any) -> None:
    polars_report, polars_data = _report_and_data(MESSY)
    assert polars_report["excluded"]["duplicate"] == 1
    duckdb_report, duckdb_data = _report_and_data(duckdb.sql("SELECT * FROM MESSY"))
    assert duckdb_report == polars_report
    assert duckdb_data.equals(polars_data)
    # Seven rows in two partitions: the second's row numbers jumped by 2**33 (a quarantined
    # row was "row 8589934593"); they count the rows, partition after partition.
    messy = spark_frame(spark, MESSY)
    assert messy.rdd.getNumPartitions() == 2
    spark_report, spark_data = _report_and_data(messy)
    assert spark_report == polars_report
    assert spark_data.equals(polars_data)


def test_backslash_in_a_date_format_parses_on_duckdb() -> None:
    # Issue 12, defect 20: the pattern's backslash was doubled in DuckDB's SQL text.
    frame = pl.DataFrame({"t": ["01\\02\\2024", "bad"]})
    expected = [datetime(2024, 2, 1), None]
    on_polars = try_to_datetime(nw.from_native(frame.lazy()), "t", "ts", fmt="%d\\%m\\%Y")
    assert on_polars.collect()["ts"].to_list() == expected
    relation = nw.from_native(duckdb.sql("SELECT * FROM frame"))
    on_duckdb = try_to_datetime(relation, "t", "ts", fmt="%d\\%m\\%Y")
    assert on_duckdb.collect(backend="polars")["ts"].to_list() == expected
