"""The time grid of a BTYD summary: days (divided by a scale) or calendar periods.

``D`` and ``W`` run on a daily grid: purchases on one day are one period and
ages are days (÷ 7 for ``W``, the CDNOW literature's weeks). ``isoweek`` and
``month`` run on the calendar, as pandas periods do in lifetimes and
pymc-marketing: purchases in one ISO week (Monday to Sunday) or one calendar
month are one period, and recency and T count whole periods between the first
purchase's and the last purchase's (or the end's).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import narwhals.stable.v2 as nw

from segwise.engine import portable
from segwise.exceptions import ConfigError

#: Days per unit on the daily grid.
DAILY = {"D": 1.0, "W": 7.0}
#: Units counted in calendar periods.
CALENDAR = ("isoweek", "month")
#: A Monday long before any data: ISO weeks are counted from it.
_MONDAY = date(1900, 1, 1)


def check_unit(time_unit: str, time_scaler: float) -> float:
    """The divisor of day counts (1 for calendar units, whose counts are periods).

    Examples
    --------
    >>> check_unit("W", 1.0), check_unit("month", 1.0)
    (7.0, 1.0)
    """
    if time_unit not in DAILY and time_unit not in CALENDAR:
        raise ConfigError(
            f"time_unit must be one of D, W, isoweek, month, not '{time_unit}'",
            hint="D: days; W: days ÷ 7; isoweek and month: calendar periods",
        )
    if time_scaler <= 0:
        raise ConfigError(f"time_scaler must be positive, not {time_scaler}")
    return DAILY.get(time_unit, 1.0) * time_scaler


def period_number(day: date, time_unit: str) -> int:
    """The calendar period of a date (ISO weeks since 1900-01-01, or months since year 0).

    Examples
    --------
    >>> period_number(date(2024, 1, 7), "isoweek") + 1 == period_number(date(2024, 1, 8), "isoweek")
    True
    >>> period_number(date(2024, 3, 31), "month") - period_number(date(2023, 12, 1), "month")
    3
    """
    if time_unit == "month":
        return day.year * 12 + day.month - 1
    return (day - _MONDAY).days // 7


def add_period(frame: nw.LazyFrame[Any], day: str, time_unit: str, out: str) -> nw.LazyFrame[Any]:
    """Add ``out``: the calendar period of the Date column ``day`` (as :func:`period_number`)."""
    if time_unit == "month":
        return frame.with_columns(
            (nw.col(day).dt.year() * 12 + nw.col(day).dt.month() - 1).cast(nw.Int64).alias(out)
        )
    frame = frame.with_columns(nw.lit(_MONDAY).alias("__sw_monday"))
    frame = portable.add_days_between(frame, day, "__sw_monday", "__sw_days_since_monday")
    weeks = (nw.col("__sw_days_since_monday") - nw.col("__sw_days_since_monday") % 7) / 7
    return frame.with_columns(weeks.cast(nw.Int64).alias(out)).drop(
        "__sw_monday", "__sw_days_since_monday"
    )


def add_elapsed(
    frame: nw.LazyFrame[Any], later: str, earlier: str, out: str, time_unit: str
) -> nw.LazyFrame[Any]:
    """Add ``out``: days from ``earlier`` to ``later`` (Dates), or periods (calendar numbers)."""
    if time_unit in CALENDAR:
        return frame.with_columns((nw.col(later) - nw.col(earlier)).alias(out))
    return portable.add_days_between(frame, later, earlier, out)


#: Days in one unit, to turn a length in days into the unit (a month on average).
UNIT_DAYS = {"D": 1.0, "W": 7.0, "isoweek": 7.0, "month": 365.25 / 12}
#: A year in each unit: the default prediction horizon.
YEAR = {"D": 365.0, "W": 52.0, "isoweek": 52.0, "month": 12.0}
#: How a unit is named in reports.
UNIT_NAMES = {"D": "days", "W": "weeks", "isoweek": "calendar weeks", "month": "months"}
