"""Timestamps read from text, numbers or zoned columns, the same way on every engine.

Polars and DuckDB take strftime patterns, Spark Java ones (:mod:`.java_patterns`);
Unix times and Excel's serial days are :mod:`.epochs`' pseudo-patterns. A time with an
offset, and a zoned column, is its UTC time on every engine, whatever the session's time
zone.
"""

from __future__ import annotations

import re
from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.epochs import NUMBER_FORMATS, epoch_expr, epoch_sql
from segwise.engine.frames import Backend, backend_of, wrap
from segwise.engine.java_patterns import strftime_to_java
from segwise.engine.month_names import (
    english_months,
    english_months_sql,
    english_pattern,
    reads_month_names,
)
from segwise.engine.portable import add_sql_column, quote_identifier, quote_literal

#: Two-digit years from this one on are the 1900s (POSIX's rule, and DuckDB's): '69 is
#: 1969. Polars reads '69 as 2069 and Spark every two-digit year as 20xx, so each engine's
#: reading is brought to this one.
TWO_DIGIT_PIVOT = 69


def reads_as_utc(fmt: str) -> bool:
    """Whether ``fmt`` reads an offset (``%z``, ``%:z``, ``%#z``) or a literal ``UTC``.

    Examples
    --------
    >>> reads_as_utc("%Y-%m-%dT%H:%M:%S%#z"), reads_as_utc("%d/%m/%Y")
    (True, False)
    """
    return re.search(r"%[#:]?z", fmt) is not None or "UTC" in fmt


def try_to_datetime(
    frame: nw.LazyFrame[Any], column: str, out: str, *, fmt: str | None
) -> nw.LazyFrame[Any]:
    """Add ``out``: ``column`` as a Datetime (microseconds), NULL where it cannot be parsed.

    Temporal columns are cast (a Date becomes midnight); text is trimmed and
    parsed with the strftime pattern ``fmt`` without raising.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"t": ["2024-01-31", "31/01/2024"]}))
    >>> try_to_datetime(frame, "t", "ts", fmt="%Y-%m-%d").collect()["ts"].to_list()
    [datetime.datetime(2024, 1, 31, 0, 0), None]
    """
    dtype = frame.collect_schema()[column]
    if isinstance(dtype, nw.Datetime) and dtype.time_zone is not None:
        return _utc_time(frame, column, out)
    if isinstance(dtype, nw.Date | nw.Datetime):
        return frame.with_columns(nw.col(column).cast(nw.Datetime("us")).alias(out))
    if fmt is None:
        return frame.with_columns(nw.lit(None, dtype=nw.Datetime("us")).alias(out))
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        return wrap(frame.to_native().with_columns(_polars_datetime(column, fmt).alias(out)))
    return add_sql_column(
        frame, _datetime_sql(quote_identifier(column, backend), fmt, backend), out
    )


def _polars_datetime(column: str, fmt: str) -> pl.Expr:
    """Polars: text ``column`` read with ``fmt`` (an offset gives the UTC time)."""
    if fmt in NUMBER_FORMATS:
        return epoch_expr(column, fmt)
    text = pl.col(column).cast(pl.String).str.strip_chars()
    if reads_month_names(fmt):
        text, fmt = english_months(text), english_pattern(fmt)
    parsed = text.str.to_datetime(fmt, strict=False, time_unit="us", exact=True)
    if _has_offset(fmt):
        parsed = parsed.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
    if "%y" in fmt:
        late = parsed.dt.year() >= TWO_DIGIT_PIVOT + 2000
        parsed = pl.when(late).then(parsed.dt.offset_by("-100y")).otherwise(parsed)
    return parsed


def _has_offset(fmt: str) -> bool:
    return re.search(r"%[#:]?z", fmt) is not None


def _pivot_sql(parsed: str, fmt: str) -> str:
    """SQL: two-digit years read in the 2000s from the pivot on moved to the 1900s."""
    if "%y" not in fmt:
        return parsed
    late = f"year({parsed}) >= {TWO_DIGIT_PIVOT + 2000}"
    return f"CASE WHEN {late} THEN {parsed} - INTERVAL 100 YEARS ELSE {parsed} END"


def _utc_time(frame: nw.LazyFrame[Any], column: str, out: str) -> nw.LazyFrame[Any]:
    """A zoned timestamp column as its UTC time, on every engine.

    Casting it away shows the session's local time on DuckDB and Spark (a Parquet file of
    UTC instants read in New York was five hours early there) and UTC on Polars.
    """
    backend = backend_of(frame)
    if backend is Backend.POLARS:
        utc = pl.col(column).dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return wrap(frame.to_native().with_columns(utc.dt.cast_time_unit("us").alias(out)))
    ident = quote_identifier(column, backend)
    if backend is Backend.DUCKDB:
        return add_sql_column(frame, f"CAST(timezone('UTC', {ident}) AS TIMESTAMP)", out)
    sql = f"CAST(to_utc_timestamp({ident}, current_timezone()) AS TIMESTAMP_NTZ)"
    return add_sql_column(frame, sql, out)


def _datetime_sql(ident: str, fmt: str, backend: Backend) -> str:
    """SQL reading ``ident`` with strftime ``fmt`` on DuckDB or Spark, NULL where it cannot.

    An offset (``%z``, ``%#z``) gives the instant's UTC time, whatever the session's time
    zone, as Polars gives it.
    """
    if fmt in NUMBER_FORMATS:
        return epoch_sql(ident, fmt, backend)
    zoned = _has_offset(fmt)
    if zoned:
        # Polars reads an offset with or without spaces before it: these engines read it
        # without, so both the pattern and the text lose them.
        fmt = re.sub(r"\s+(%[#:]?z)", r"\1", fmt)
    names = reads_month_names(fmt)
    fmt = english_pattern(fmt)
    if backend is Backend.DUCKDB:
        text = f"trim(CAST({ident} AS VARCHAR))"
        text = english_months_sql(text, backend) if names else text
        # DuckDB writes fractional seconds as .%f where Polars (chrono) writes %.f, and Polars
        # reads "10:00:00" with %S%.f too (so DuckDB tries without). DuckDB's %z reads +01:00
        # and +0100 but not Z; %#z (any of the three) is Polars' own.
        fmt = fmt.replace("%#z", "%z")
        patterns = [fmt.replace("%.f", ".%f"), fmt.replace("%.f", "")] if "%.f" in fmt else [fmt]
        if zoned:
            text = f"regexp_replace(regexp_replace({text}, {_SPACED}, '\\1'), '[Zz]$', '+00:00')"
        tries = [f"try_strptime({text}, {quote_literal(p, backend)})" for p in patterns]
        parsed = f"coalesce({', '.join(tries)})" if len(tries) > 1 else tries[0]
        read = f"timezone('UTC', {parsed})" if zoned else f"CAST({parsed} AS TIMESTAMP)"
        return _pivot_sql(read, fmt)
    text = f"trim(CAST({ident} AS STRING))"
    text = english_months_sql(text, backend) if names else text
    java = quote_literal(strftime_to_java(fmt))
    if not zoned:
        return _pivot_sql(f"CAST(try_to_timestamp({text}, {java}) AS TIMESTAMP_NTZ)", fmt)
    # Java's XXX reads Z and +01:00, not +0100: written with a colon first.
    text = f"regexp_replace({text}, {_SPACED}, '$1')"
    text = f"regexp_replace(regexp_replace({text}, '[Zz]$', '+00:00'), {_NO_COLON}, '$1:$2')"
    instant = f"try_to_timestamp({text}, {java})"
    utc = f"CAST(to_utc_timestamp({instant}, current_timezone()) AS TIMESTAMP_NTZ)"
    return _pivot_sql(utc, fmt)


#: Spaces before a final offset or Z, as a SQL literal (no backslash: Spark doubles them).
_SPACED = "' +([+-][0-9:]+|[Zz])$'"
#: An offset written without a colon (+0100), as a Spark SQL literal.
_NO_COLON = "'([+-][0-9]{2})([0-9]{2})$'"
