"""Text timestamps in plain frames: parse them the way the readers do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import narwhals.stable.v2 as nw

from segwise.engine.datetimes import try_to_datetime
from segwise.exceptions import ConfigError, DataError
from segwise.io.timestamps import detect_timestamp_format, settle_month_day, warn_ambiguous

PARSED = "__sw_parsed_timestamp"


def ensure_datetime(
    frame: nw.LazyFrame[Any], column: str, fmt: str | None = None
) -> tuple[nw.LazyFrame[Any], str]:
    """Return the frame and the name of a Datetime version of ``column``.

    Temporal columns are used as they are. Text is parsed with ``fmt``, or
    with the pattern recognised from the first 2,000 values (as the readers do).

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"t": ["2024-01-31 10:00:00"]}))
    >>> parsed, name = ensure_datetime(frame, "t")
    >>> parsed.collect()[name].to_list()
    [datetime.datetime(2024, 1, 31, 10, 0)]
    """
    if isinstance(frame.collect_schema()[column], nw.Date | nw.Datetime):
        return frame, column
    if fmt is None:
        sample = frame.select(nw.col(column)).head(2_000).collect()[column].to_list()
        values = [str(v) for v in sample if v is not None and str(v).strip()]
        fmt, _ = detect_timestamp_format(values) if values else (None, 0)
        if fmt is None:
            shown = f" (first value {values[0]!r})" if values else ""
            raise DataError(
                f"no value could be read as a date{shown}",
                hint="pass datetime_format= with the strftime pattern",
                column=column,
            )
        fmt, ambiguous = settle_month_day(frame, column, fmt, values)
        if ambiguous is not None:
            warn_ambiguous(f"column '{column}'", fmt, ambiguous)
    return try_to_datetime(frame, column, PARSED, fmt=fmt), PARSED


def as_day(value: str | date | datetime | None, what: str = "as-of date") -> date | None:
    """A date from a date, a datetime (its day) or ISO text; None stays None.

    Examples
    --------
    >>> as_day("2011-12-09 12:50:00")
    datetime.date(2011, 12, 9)
    """
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return datetime.fromisoformat(str(value).strip()).date()
    except ValueError:
        raise ConfigError(
            f"{what} '{value}' is not a date", hint="write it as YYYY-MM-DD"
        ) from None
