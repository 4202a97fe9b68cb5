"""Unix times (seconds or milliseconds since 1970, UTC) read as timestamps in the engine.

Event logs (Mixpanel's ``time``, a tracker's ``ts``) write times as Unix times. The
readers take them as two pseudo-patterns beside the strftime ones, ``epoch-s`` and
``epoch-ms``. A number outside the years 1973–2099 in that unit is no time (an id,
a price, the other unit) and reads as NULL, so its row is quarantined, not dated 1970.
"""

from __future__ import annotations

import polars as pl

from segwise.engine.frames import Backend

#: Pseudo-pattern -> how many of its units make a second.
EPOCH_FORMATS: dict[str, int] = {"epoch-s": 1, "epoch-ms": 1_000}

#: 1973-03-03 (10^8 seconds) and 2100-01-01, in seconds: the times read.
FIRST_SECOND, LAST_SECOND = 100_000_000, 4_102_444_800


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
    """
    low, high = epoch_bounds(fmt)
    number = pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Int64, strict=False)
    time = pl.from_epoch(number * (1_000_000 // EPOCH_FORMATS[fmt]), time_unit="us")
    return pl.when(number.is_between(low, high, closed="left")).then(time).alias(column)


def epoch_sql(ident: str, fmt: str, backend: Backend) -> str:
    """DuckDB or Spark SQL: the quoted column ``ident`` as a UTC timestamp, NULL where not."""
    low, high = epoch_bounds(fmt)
    micros = 1_000_000 // EPOCH_FORMATS[fmt]
    text = "VARCHAR" if backend is Backend.DUCKDB else "STRING"
    number = f"try_cast(trim(CAST({ident} AS {text})) AS BIGINT)"
    if backend is Backend.DUCKDB:
        time = f"make_timestamp({number} * {micros})"
    else:
        # timestamp_micros is an instant: shown in UTC whatever the session's time zone.
        instant = f"timestamp_micros({number} * {micros})"
        time = f"CAST(to_utc_timestamp({instant}, current_timezone()) AS TIMESTAMP_NTZ)"
    return f"CASE WHEN {number} >= {low} AND {number} < {high} THEN {time} END"
