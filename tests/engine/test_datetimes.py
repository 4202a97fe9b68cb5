"""Timestamps from text, Unix times and zoned columns: one answer on Polars, DuckDB and Spark."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import duckdb
import narwhals.stable.v2 as nw
import polars as pl
import pytest

from segwise.engine.datetimes import try_to_datetime
from tests.engine.test_portable import spark_frame

ZONED = pl.DataFrame(
    {
        "i": [str(i) for i in range(6)],
        "t": [
            "2024-01-03T10:00:00Z",
            "2024-01-03T10:00:00+01:00",
            "2024-07-03T23:30:00-0400",
            "2024-01-03T10:00:00.250z",
            "2024-01-03T10:00:00",
            "yesterday",
        ],
    }
)
# The instant's UTC time; a time without an offset is no instant.
ZONED_TIMES = [
    datetime(2024, 1, 3, 10),
    datetime(2024, 1, 3, 9),
    datetime(2024, 7, 4, 3, 30),
    datetime(2024, 1, 3, 10, 0, 0, 250_000),
    None,
    None,
]


def _zoned(frame: Any) -> list[Any]:
    parsed = try_to_datetime(nw.from_native(frame), "t", "ts", fmt="%Y-%m-%dT%H:%M:%S%.f%#z")
    out: pl.DataFrame = parsed.collect(backend="polars").to_native()
    return out.sort(pl.col("i").cast(pl.Int64))["ts"].to_list()


SHOPIFY = pl.DataFrame(
    {"i": ["0", "1"], "t": ["2024-01-03 10:00:00 -0500", "2024-07-03 23:30:00 +0100"]}
)


def _shopify(frame: Any) -> list[Any]:
    """The times read with the pattern detected (no space) and with one written with it."""
    read = []
    for fmt in ("%Y-%m-%d %H:%M:%S%#z", "%Y-%m-%d %H:%M:%S %#z"):
        parsed = try_to_datetime(nw.from_native(frame), "t", "ts", fmt=fmt)
        out: pl.DataFrame = parsed.collect(backend="polars").to_native()
        read.append(out.sort("i")["ts"].to_list())
    assert read[0] == read[1]
    return read[0]


SHOPIFY_TIMES = [datetime(2024, 1, 3, 15), datetime(2024, 7, 3, 22, 30)]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_an_offset_or_z_gives_the_utc_time_on_embedded_engines(engine: str) -> None:
    frame = ZONED.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM ZONED")
    assert _zoned(frame) == ZONED_TIMES
    shop = SHOPIFY.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM SHOPIFY")
    assert _shopify(shop) == SHOPIFY_TIMES


@pytest.mark.spark
def test_an_offset_or_z_gives_the_utc_time_on_spark_whatever_its_time_zone(spark: Any) -> None:
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        assert _zoned(spark_frame(spark, ZONED)) == ZONED_TIMES
        assert _shopify(spark_frame(spark, SHOPIFY)) == SHOPIFY_TIMES
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


def test_zoned_timestamps_are_their_utc_time_whatever_the_session_zone() -> None:
    instants = pl.DataFrame({"t": [datetime(2024, 1, 3, 10), datetime(2024, 7, 3, 23, 30)]})
    paris = instants.with_columns(
        pl.col("t").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Paris")
    )
    on_polars = try_to_datetime(nw.from_native(paris.lazy()), "t", "ts", fmt=None)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'America/New_York'")
    relation = connection.sql("SELECT timezone('UTC', t) AS t FROM instants")  # UTC instants
    on_duckdb = try_to_datetime(nw.from_native(relation), "t", "ts", fmt=None)
    expected = instants["t"].to_list()
    assert on_polars.collect()["ts"].to_list() == expected
    assert on_duckdb.collect()["ts"].to_list() == expected


@pytest.mark.spark
def test_spark_timestamps_are_their_utc_time_whatever_the_session_zone(spark: Any) -> None:
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        frame = spark.sql(
            "SELECT to_timestamp('2024-01-03 10:00:00+00:00', 'yyyy-MM-dd HH:mm:ssXXX') AS t"
        )
        parsed = try_to_datetime(nw.from_native(frame), "t", "ts", fmt=None)
        assert parsed.collect()["ts"].to_list() == [datetime(2024, 1, 3, 10)]
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


EPOCHS = pl.DataFrame(
    {
        "i": [str(i) for i in range(6)],
        "s": ["1704276000", " 1720049400 ", "12", "abc", None, "9999999999"],
        "ms": ["1704276000250", "1720049400000", "1704276000", "x", None, "100000000000"],
        # Excel's serial days, as a spreadsheet saved as CSV writes its date cells.
        "xl": ["45294", " 45294.604166667 ", "3", "abc", None, "73051"],
    }
)
EPOCH_TIMES = {
    # Twelve seconds after 1970 and the year 2286 are no order's time: NULL, quarantined.
    "epoch-s": [datetime(2024, 1, 3, 10), datetime(2024, 7, 3, 23, 30), None, None, None, None],
    "epoch-ms": [
        datetime(2024, 1, 3, 10, 0, 0, 250_000),
        datetime(2024, 7, 3, 23, 30),
        None,  # seconds where milliseconds are read: 1970, so no time
        None,
        None,
        datetime(1973, 3, 3, 9, 46, 40),
    ],
    # 14:30 is 0.6041666… of a day, kept to the millisecond; day 3 is 1900 and 73051 is 2100.
    "excel-days": [datetime(2024, 1, 3), datetime(2024, 1, 3, 14, 30), None, None, None, None],
}


def _epochs(frame: Any) -> dict[str, list[Any]]:
    frame = nw.from_native(frame)
    frame = try_to_datetime(frame, "s", "from_s", fmt="epoch-s")
    frame = try_to_datetime(frame, "ms", "from_ms", fmt="epoch-ms")
    frame = try_to_datetime(frame, "xl", "from_xl", fmt="excel-days")
    out: pl.DataFrame = frame.collect(backend="polars").to_native()
    out = out.sort(pl.col("i").cast(pl.Int64))
    read = ("epoch-s", "from_s"), ("epoch-ms", "from_ms"), ("excel-days", "from_xl")
    return {fmt: out[column].to_list() for fmt, column in read}


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_unix_times_are_read_in_their_unit_on_embedded_engines(engine: str) -> None:
    frame = EPOCHS.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM EPOCHS")
    assert _epochs(frame) == EPOCH_TIMES


def test_unix_times_in_a_number_column_are_read() -> None:
    numbers = pl.LazyFrame({"t": [1704276000, None]})
    parsed = try_to_datetime(nw.from_native(numbers), "t", "ts", fmt="epoch-s")
    assert parsed.collect()["ts"].to_list() == [datetime(2024, 1, 3, 10), None]


@pytest.mark.spark
def test_unix_times_are_read_in_their_unit_on_spark_whatever_its_time_zone(spark: Any) -> None:
    spark.conf.set("spark.sql.session.timeZone", "Asia/Tokyo")
    try:
        assert _epochs(spark_frame(spark, EPOCHS)) == EPOCH_TIMES
    finally:
        spark.conf.set("spark.sql.session.timeZone", "UTC")


# Dates as people write them: one-digit days and months (Excel's US locale), month names.
WRITTEN_DATES = {
    "%m/%d/%Y": (
        ["1/3/2024", "01/03/2024", "12/25/2024"],
        [(2024, 1, 3), (2024, 1, 3), (2024, 12, 25)],
    ),
    "%d.%m.%Y %H:%M": (
        ["3.1.2024 9:05", "03.01.2024 09:05"],
        [(2024, 1, 3, 9, 5), (2024, 1, 3, 9, 5)],
    ),
    "%b %d, %Y": (
        ["Jan 3, 2024", "Sep 13, 2024", "jan 03, 2024"],
        [(2024, 1, 3), (2024, 9, 13), (2024, 1, 3)],
    ),
    # In English, or in a European export's language (any case, abbreviations' dots).
    "%d %b %Y": (
        [
            *("3 Jan 2024", "13 Sep 2024", "12 janv. 2024", "1 FÉVRIER 2024", "15 mars 2024"),
            *("20 Sept. 2024", "7 dic 2024", "30 giugno 2024", "8 mrt 2024", "9 août 2024"),
        ],
        [
            *((2024, 1, 3), (2024, 9, 13), (2024, 1, 12), (2024, 2, 1), (2024, 3, 15)),
            *((2024, 9, 20), (2024, 12, 7), (2024, 6, 30), (2024, 3, 8), (2024, 8, 9)),
        ],
    ),
    "%B %d, %Y": (["January 3, 2024", "september 13, 2024"], [(2024, 1, 3), (2024, 9, 13)]),
    "%d. %b %Y": (
        ["3. März 2024", "12. Januar 2024", "1. Dez. 2024", "4. Mai 2024"],
        [(2024, 3, 3), (2024, 1, 12), (2024, 12, 1), (2024, 5, 4)],
    ),
    "%d de %b de %Y": (
        ["7 de outubro de 2024", "3 de marzo de 2024", "21 de enero de 2024"],
        [(2024, 10, 7), (2024, 3, 3), (2024, 1, 21)],
    ),
    "%d-%b-%Y": (
        ["03-Jan-2024", "13-Sep-2024", "03-JAN-2024"],
        [(2024, 1, 3), (2024, 9, 13), (2024, 1, 3)],
    ),
    "%Y%m%d": (["20240103", "20241225"], [(2024, 1, 3), (2024, 12, 25)]),
    # Two-digit years: '68 is 2068 and '69 1969 on every engine (Polars and Spark differ).
    "%m/%d/%y": (
        ["12/31/23", "01/03/68", "01/03/69", "1/3/97"],
        [(2023, 12, 31), (2068, 1, 3), (1969, 1, 3), (1997, 1, 3)],
    ),
    "%d.%m.%y %H:%M": (["31.12.99 23:59"], [(1999, 12, 31, 23, 59)]),
}


def _written_dates(to_frame: Any) -> None:
    for fmt, (values, expected) in WRITTEN_DATES.items():
        rows = pl.DataFrame({"i": [str(i) for i in range(len(values))], "t": values})
        parsed = try_to_datetime(nw.from_native(to_frame(rows)), "t", "ts", fmt=fmt)
        out: pl.DataFrame = parsed.collect(backend="polars").to_native()
        got = out.sort("i")["ts"].to_list()
        assert got == [datetime(*e) if e else None for e in expected], fmt


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_dates_as_people_write_them_on_embedded_engines(engine: str) -> None:
    def to_frame(rows: pl.DataFrame) -> Any:
        return rows.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM rows")

    _written_dates(to_frame)


@pytest.mark.spark
def test_dates_as_people_write_them_on_spark(spark: Any) -> None:
    _written_dates(lambda rows: spark_frame(spark, rows))
