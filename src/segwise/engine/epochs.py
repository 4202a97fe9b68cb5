"""Times written as numbers, read as timestamps in the engine: Unix times and Excel's days.

Event logs (Mixpanel's ``time``, a tracker's ``ts``) write times as Unix times. The
readers take them as two pseudo-patterns beside the strftime ones, ``epoch-s`` and
``epoch-ms``. A number outside the years 1973–2099 in that unit is no time (an id,
a price, the other unit) and reads as NULL, so its row is quarantined, not dated 1970.

A spreadsheet saved as CSV with its date cells formatted as numbers writes Excel's
serial dates: days since 1899-12-30, the fraction the time of day (``45294.5`` is
2024-01-03 12:00). That is the pseudo-pattern ``excel-days``; a number outside the
years 1970–2099 (25,569 to 73,050) reads as NULL.
"""

from __future__ import annotations

import polars as pl

from segwise.engine.frames import Backend

#: Pseudo-pattern -> how many of its units make a second.
EPOCH_FORMATS: dict[str, int] = {"epoch-s": 1, "epoch-ms": 1_000}

#: 1973-03-03 (10^8 seconds) and 2100-01-01, in seconds: the times read.
FIRST_SECOND, LAST_SECOND = 100_000_000, 4_102_444_800

#: Excel's serial days (its 1900 date system, as every Excel on Windows and Mac now writes).
EXCEL_DAYS = "excel-days"
#: 1970-01-01 and 2100-01-01 as Excel serial days: the dates read (1970-01-01 is day 0 of
#: Unix time, so a serial day is a Unix day plus this).
FIRST_EXCEL_DAY, LAST_EXCEL_DAY = 25_569, 73_051

#: Every pattern of times written as numbers.
NUMBER_FORMATS: tuple[str, ...] = (*EPOCH_FORMATS, EXCEL_DAYS)


def epoch_bounds(fmt: str) -> tuple[int, int]:
    """The smallest and the largest number ``fmt`` reads as a time (in its unit).

    Examples
    --------
    >>> epoch_bounds("epoch-ms")
    (100000000000, 4102444800000)
    """
    unit = EPOCH_FORMATS[fmt]
    return FIRST_SECOND * unit, LAST_SECOND * unit


def epoch_expr(column: str, fmt: str) -> pl.Expr:
    """Polars: ``column`` (numbers, or digits as text) as a UTC Datetime, NULL where not.

    Examples
    --------
    >>> frame = pl.DataFrame({"t": ["1704276000", "12", None]})
    >>> frame.select(epoch_expr("t", "epoch-s"))["t"].to_list()
    [datetime.datetime(2024, 1, 3, 10, 0), None, None]
    >>> frame = pl.DataFrame({"t": ["45294.5", "45294", "3"]})
    >>> frame.select(epoch_expr("t", "excel-days"))["t"].to_list()
    [datetime.datetime(2024, 1, 3, 12, 0), datetime.datetime(2024, 1, 3, 0, 0), None]
    """
    if fmt == EXCEL_DAYS:
        days = pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
        # To the millisecond, as Excel keeps times: 14:30 is 0.6041666… of a day.
        millis = ((days - FIRST_EXCEL_DAY) * 86_400_000).round(0).cast(pl.Int64, strict=False)
        time = pl.from_epoch(millis * 1_000, time_unit="us")
        within = days.is_between(FIRST_EXCEL_DAY, LAST_EXCEL_DAY, closed="left")
        return pl.when(within).then(time).alias(column)
    low, high = epoch_bounds(fmt)
    number = pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
    time = pl.from_epoch(number * (1_000_000 // EPOCH_FORMATS[fmt]), time_unit="us")
    return pl.when(number.is_between(low, high, closed="left")).then(time).alias(column)


def epoch_sql(ident: str, fmt: str, backend: Backend) -> str:
    """DuckDB or Spark SQL: the quoted column ``ident`` as a UTC timestamp, NULL where not."""
    text = "VARCHAR" if backend is Backend.DUCKDB else "STRING"
    if fmt == EXCEL_DAYS:
        days = f"try_cast(trim(CAST({ident} AS {text})) AS DOUBLE)"
        millis = f"CAST(round(({days} - {FIRST_EXCEL_DAY}) * 86400000) AS BIGINT)"
        time = _micros_sql(f"{millis} * 1000", backend)
        return (
            f"CASE WHEN {days} >= {FIRST_EXCEL_DAY} AND {days} < {LAST_EXCEL_DAY} THEN {time} END"
        )
    low, high = epoch_bounds(fmt)
    micros = 1_000_000 // EPOCH_FORMATS[fmt]
    number = f"try_cast(trim(CAST({ident} AS {text})) AS BIGINT)"
    time = _micros_sql(f"{number} * {micros}", backend)
    return f"CASE WHEN {number} >= {low} AND {number} < {high} THEN {time} END"


def _micros_sql(micros: str, backend: Backend) -> str:
    """SQL: microseconds since 1970 as a timestamp without a zone, in UTC."""
    if backend is Backend.DUCKDB:
        return f"make_timestamp({micros})"
    # timestamp_micros is an instant: shown in UTC whatever the session's time zone.
    instant = f"timestamp_micros({micros})"
    return f"CAST(to_utc_timestamp({instant}, current_timezone()) AS TIMESTAMP_NTZ)"
