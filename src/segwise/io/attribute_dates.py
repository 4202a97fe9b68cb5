"""A customer table's dates besides its roles: read as dates, and stand-ins for "no date" blank.

A CRM export writes when each customer signed up, last logged in or was born, in the
same ways orders write theirs (``2024-03-01 10:00:00``, ``05/01/2024``,
``2024-03-01T10:00:00Z``). Read as text, such a column is a category with one value
per customer and never becomes the days it means. Each text column whose sampled
values all read as dates with one pattern is read as dates, once every value of the
column has been checked to read.

Systems also write a date where they have none: SQL Server's and Excel's first day
(1900-01-01), Unix time 0 (1970-01-01, or 1969-12-31 west of Greenwich), MySQL's
zero date (``0000-00-00``). A customer who "signed up in 1900" would be the longest
customer of all; such values are read as blank and counted in the quality report.
The same days in an order's or event's timestamp quarantine the row.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._validation import hint_for
from segwise.engine import portable
from segwise.engine.datetimes import try_to_datetime
from segwise.exceptions import DataError
from segwise.io.timestamps import (
    PLAUSIBLE_YEARS,
    TIMESTAMP_FORMATS,
    detect_timestamp_format,
    settle_month_day,
    warn_ambiguous,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: Days systems write for "no date": SQL Server's and Excel's first day, and Unix time 0
#: (1969-12-31 where it is shown in a time zone west of Greenwich).
STAND_IN_DAYS: tuple[date, ...] = (date(1900, 1, 1), date(1969, 12, 31), date(1970, 1, 1))

#: Text written for "no date": MySQL's zero dates and the usual words. Read as blank.
NO_DATE_TEXTS = frozenset(
    {
        "0000-00-00",
        "0000-00-00 00:00:00",
        "00/00/0000",
        "00.00.0000",
        "n/a",
        "na",
        "null",
        "none",
        "nan",
        "nat",
        "-",
        "unknown",
    }
)

#: A birth date may well be 1969-12-31 or 1970-01-01: only 1900-01-01 is a stand-in there.
_BIRTH = re.compile(r"birth|dob|born|geburt|naissance|nacimiento|nascita|nascimento|geboorte")

#: Internal name of the n-th attribute date, parsed but with its stand-ins still in.
_PARSED = "__sw_attribute_date_{}"
_ROW = "__sw_attribute_row"


def is_birth_date(column: str) -> bool:
    """Whether ``column``'s name says it holds birth dates (``dob``, ``date_of_birth``…).

    >>> is_birth_date("DateOfBirth"), is_birth_date("signup_date")
    (True, False)
    """
    return _BIRTH.search(column.lower()) is not None


def on_stand_in_day(value: nw.Expr, *, birth: bool = False) -> nw.Expr:
    """True where the date or datetime ``value`` falls on a day written for "no date".

    >>> import datetime as dt, polars as pl
    >>> frame = nw.from_native(pl.DataFrame({"d": [dt.date(1900, 1, 1), dt.date(1970, 1, 1)]}))
    >>> frame.select(on_stand_in_day(nw.col("d"))).to_native()["d"].to_list()
    [True, True]
    >>> frame.select(on_stand_in_day(nw.col("d"), birth=True)).to_native()["d"].to_list()
    [True, False]
    """
    return value.dt.date().is_in(STAND_IN_DAYS[:1] if birth else STAND_IN_DAYS)


def timestamp_on_stand_in_day(column: str) -> nw.Expr:
    """:func:`on_stand_in_day` of a Datetime column, as comparisons: every read tests it.

    Taking the date of each timestamp first made the test 3.5× slower in Polars.
    """
    stamp, found = nw.col(column), nw.lit(value=False)
    for day in STAND_IN_DAYS:
        start = datetime.combine(day, time())
        found = found | ((stamp >= start) & (stamp < start + timedelta(days=1)))
    return found


def is_stand_in(value: nw.Expr, *, birth: bool = False) -> nw.Expr:
    """True where ``value`` is a stand-in day or outside the years a customer's dates fall in.

    0001-01-01 and 9999-12-31 are "no date" (and "never") in many systems too.
    """
    first, last = PLAUSIBLE_YEARS
    day = value.dt.date()
    outside = (day < date(first, 1, 1)) | (day > date(last, 12, 31))
    return outside | on_stand_in_day(value, birth=birth)


def parsed_name(index: int) -> str:
    """The internal column of the ``index``-th attribute date (in the plan's order)."""
    return _PARSED.format(index)


def _no_date_text(column: str) -> nw.Expr:
    text = _written(column)
    return (text == "") | text.str.to_lowercase().is_in(sorted(NO_DATE_TEXTS))


def _written(column: str) -> nw.Expr:
    """``column`` as written: a number column given a pattern (20240103) is read as text."""
    return nw.col(column).cast(nw.String()).str.strip_chars()


def _looks_like_dates(sample: Sequence[str]) -> str | None:
    """The pattern every sampled value reads with, or None (not a date column)."""
    values = [v for v in sample if v.strip().lower() not in NO_DATE_TEXTS]
    # Cheap refusals first: a date has digits and is short; most text attributes fail here.
    if not values or any(len(v) > 40 or not any(c.isdigit() for c in v) for v in values):
        return None
    fmt, parsed = detect_timestamp_format(values)
    # Unix times are not tried: a column of ten-digit numbers is more often phone numbers.
    if fmt is None or fmt not in TIMESTAMP_FORMATS or parsed < len(values):
        return None
    return fmt


def detect_attribute_dates(
    frame: nw.LazyFrame[Any],
    candidates: Sequence[str],
    samples: Mapping[str, list[str]],
    *,
    source: str,
    given: Mapping[str, str] | None = None,
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The attribute columns that hold dates, with their patterns, and notes on text columns.

    A typed date column maps to None; a text column to the pattern its values read
    with (``given``, or the one every sampled value reads with), when every value of
    the column reads: one pass over the data, only when some column reads as dates.
    Otherwise it stays text. A note says, for each text column read as dates or tried
    and left text, what was done (superseding what a CSV's type inference said of it).

    Parameters
    ----------
    frame
        The source as read (text columns as written).
    candidates
        The attribute columns: not a role, not personal, not asked to stay text.
    samples
        ``text column -> its first non-blank values``.
    source
        The source's name, for errors and the warning when dates read two ways.
    given
        ``column -> strftime pattern`` the user gave (``date_formats:``).

    Raises
    ------
    DataError
        A given column is not in the table, or is one of its roles or personal columns.
    """
    schema = frame.collect_schema()
    given = dict(given or {})
    for column in given:
        if column not in candidates:
            why = "not in the table" if column not in schema else "not a date attribute"
            raise DataError(
                f"date_formats: column '{column}' is {why}",
                hint=hint_for(column, list(candidates))
                if column not in schema
                else "name one of the table's other columns (a role's dates have their own option)",
                source=source,
            )
    found: dict[str, str | None] = {}
    text: dict[str, str] = {}
    notes = {}
    for column in candidates:
        dtype = schema[column]
        if isinstance(dtype, nw.Date | nw.Datetime):
            found[column] = None
            if column in given:
                notes[column] = (
                    f"column '{column}' is typed as dates already: its date_formats pattern "
                    f"{given[column]} is not used"
                )
        elif column in given:
            text[column] = given[column]  # a number column too: 20240103 with %Y%m%d
        elif dtype != nw.String:
            continue
        elif (fmt := _looks_like_dates(samples.get(column, []))) is not None:
            text[column] = _settled(frame, column, fmt, samples[column], source)
    unread = _first_unread_rows(frame, text) if text else {}
    for column, fmt in text.items():
        row = unread.get(column)
        if row is None:
            found[column] = fmt
            notes[column] = f"column '{column}' read as dates with the pattern {fmt}"
        else:
            notes[column] = (
                f"column '{column}' read as text: row {row} is not a date written "
                f"{fmt}, though the first rows are"
            )
    return found, notes


def _settled(
    frame: nw.LazyFrame[Any], column: str, fmt: str, sample: Sequence[str], source: str
) -> str:
    """``fmt``, or its day/month twin where the whole column says so (warned if it cannot)."""
    readable = frame.filter(~_no_date_text(column))
    fmt, ambiguous = settle_month_day(readable, column, fmt, sample)
    if ambiguous is not None:
        fix = (
            f"set date_formats: {{{column}: '{ambiguous[0]}'}} on the source in segwise.yaml "
            "(date_formats= in Python, --date-format-of on segwise quality)"
        )
        warn_ambiguous(f"{source}: column '{column}'", fmt, ambiguous, fix=fix)
    return fmt


def _first_unread_rows(frame: nw.LazyFrame[Any], formats: Mapping[str, str]) -> dict[str, int]:
    """Per text date column, the first row (1-based) holding a value that does not read."""
    numbered = portable.with_row_number(frame, _ROW, consecutive=True)  # the error names it
    firsts = []
    for i, (column, fmt) in enumerate(formats.items()):
        numbered = try_to_datetime(numbered, column, parsed_name(i), fmt=fmt)
        unread = nw.col(parsed_name(i)).is_null() & ~_no_date_text(column).fill_null(value=True)
        firsts.append(nw.when(unread).then(nw.col(_ROW)).min().alias(column))
    found = portable.collect_one_row(numbered.select(*firsts))
    return {column: int(row) for column, row in found.items() if row is not None}


def parse_attribute_dates(
    frame: nw.LazyFrame[Any], dates: Mapping[str, str | None]
) -> nw.LazyFrame[Any]:
    """Add each attribute date, parsed (stand-ins still in), as :func:`parsed_name` ``(i)``.

    A pattern without a time of day gives dates, one with a time datetimes.
    """
    for i, (column, fmt) in enumerate(dates.items()):
        if fmt is None:
            frame = frame.with_columns(nw.col(column).alias(parsed_name(i)))
            continue
        frame = try_to_datetime(frame, column, parsed_name(i), fmt=fmt)
        if "%H" not in fmt:
            frame = frame.with_columns(nw.col(parsed_name(i)).cast(nw.Date()))
    return frame


def attribute_date(column: str, index: int) -> nw.Expr:
    """Attribute date ``column`` as the data has it: read, and blank where a stand-in."""
    parsed = nw.col(parsed_name(index))
    return nw.when(~is_stand_in(parsed, birth=is_birth_date(column))).then(parsed).alias(column)


def stand_in_counts(dates: Mapping[str, str | None]) -> dict[str, nw.Expr]:
    """``column -> how many of its values are stand-ins`` (read as blank), for the report."""
    counts = {}
    for i, (column, fmt) in enumerate(dates.items()):
        stand_in = is_stand_in(nw.col(parsed_name(i)), birth=is_birth_date(column))
        if fmt is not None:  # written "0000-00-00" or "N/A": no date either
            words = _written(column).str.to_lowercase().is_in(sorted(NO_DATE_TEXTS))
            stand_in = stand_in.fill_null(value=False) | words
        counts[column] = stand_in.fill_null(value=False).cast(nw.Int64).sum()
    return counts
