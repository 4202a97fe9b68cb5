"""Recognise how timestamps are written, from a sample of values.

Only patterns that Polars, DuckDB and Spark all parse the same way are tried,
so the chosen pattern gives the same result on every engine.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.datetimes import try_to_datetime
from segwise.engine.epochs import (
    EPOCH_FORMATS,
    EXCEL_DAYS,
    FIRST_EXCEL_DAY,
    LAST_EXCEL_DAY,
    epoch_bounds,
)
from segwise.engine.month_names import english_months, english_pattern, reads_month_names
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Tried in this order; on a tie the earlier one wins (ISO first, then day-first).
TIMESTAMP_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    # Fractional seconds (what Polars and pandas write): after the whole-second forms, which
    # win a tie on a column without fractions.
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d",
    # An offset or Z (ISO 8601, what APIs and pandas write for zoned times; a space before
    # it, as in Shopify's 2024-01-03 10:00:00 -0500, is read too), and BigQuery's " UTC":
    # read as the instant's UTC time.
    "%Y-%m-%dT%H:%M:%S%#z",
    "%Y-%m-%dT%H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S%#z",
    "%Y-%m-%d %H:%M:%S%.f%#z",
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y-%m-%d %H:%M:%S%.f UTC",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y%m%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    # Month names (Jan 3, 2024; 3 Jan 2024; 03-Jan-2024; 12 janv. 2024; 3. März 2024;
    # 7 de outubro de 2024), in English or a European export's language
    # (segwise.engine.month_names): no day/month doubt.
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d. %b %Y",
    "%d de %b de %Y",
    # Two-digit years (Etsy's 12/31/23, a back office's 31.12.23): last, so four digits win
    # a tie; '69 to '99 are the 1900s, the rest the 2000s, on every engine.
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%d.%m.%y %H:%M",
    "%d.%m.%y",
)

#: The years a transaction or event can be dated: a pattern that reads "31/12/23" as the
#: year 31 (or 23) reads nothing here, and a row dated so is quarantined.
PLAUSIBLE_YEARS = (1900, 2099)


def detect_timestamp_format(
    values: Sequence[str], *, years: tuple[int, int] = PLAUSIBLE_YEARS
) -> tuple[str | None, int]:
    """Return the pattern that parses the most sample values, and how many it parses.

    Only dates in ``years`` count (a consent's expiry may be 9999-12-31: "never").

    Examples
    --------
    >>> detect_timestamp_format(["2011-12-09 12:50:00", "2011-12-01 08:26:00"])
    ('%Y-%m-%d %H:%M:%S', 2)
    >>> detect_timestamp_format(["13/01/2024", "02/03/2024"])
    ('%d/%m/%Y', 2)
    >>> detect_timestamp_format(["yesterday"])
    (None, 0)
    >>> detect_timestamp_format(["1704276000", "1704362400"])
    ('epoch-s', 2)
    >>> detect_timestamp_format(["45294", "45294.604166667"])
    ('excel-days', 2)
    """
    series = pl.Series("t", [str(v).strip() for v in values], dtype=pl.String)
    named: pl.Series | None = None  # the month names in English, when a pattern needs them
    best: tuple[str | None, int] = (None, 0)
    for fmt in TIMESTAMP_FORMATS:
        text, pattern = series, fmt
        if reads_month_names(fmt):
            if named is None:
                named = pl.select(english_months(pl.lit(series))).to_series()
            text, pattern = named, english_pattern(fmt)
        parsed = text.str.to_datetime(pattern, strict=False, exact=True, time_unit="us")
        ok = int(parsed.dt.year().is_between(*years).sum())
        if ok > best[1]:
            best = (fmt, ok)
        if ok == len(series):
            return best
    # Unix times last: digits no pattern reads (20240103 is %Y%m%d, far below 10^8 seconds).
    for fmt in EPOCH_FORMATS:
        low, high = epoch_bounds(fmt)
        ok = sum(1 for value in series if value.isdigit() and low <= int(value) < high)
        if ok > best[1]:
            best = (fmt, ok)
    # Excel's serial days (45294, 45294.5): five digits, far below any Unix time read.
    days = [float(v) for v in series if _EXCEL_DAY.fullmatch(v)]
    ok = sum(1 for day in days if FIRST_EXCEL_DAY <= day < LAST_EXCEL_DAY)
    return (EXCEL_DAYS, ok) if ok > best[1] else best


_EXCEL_DAY = re.compile(r"\d{5}(\.\d+)?")


class AmbiguousDatesWarning(UserWarning):
    """Every date of a column reads two ways (day and month swapped): ``read_as`` was used."""

    def __init__(self, message: str, *, read_as: str, other: str) -> None:
        super().__init__(message)
        self.read_as = read_as
        self.other = other


def warn_ambiguous(
    where: str, fmt: str, ambiguous: tuple[str, str], *, fix: str | None = None
) -> None:
    """Say that ``where`` (a file and column) was read as ``fmt`` though it reads both ways.

    ``fix`` says how to read it the other way; by default the timestamp's ``--date-format``.
    """
    twin, example = ambiguous
    fix = fix or f"pass --date-format '{twin}' (timestamp_format: in the project file)"
    message = (
        f"{where}: every date reads both {fmt} and {twin} (e.g. {example!r}); read as {fmt}. "
        f"If that is wrong, {fix}"
    )
    warnings.warn(AmbiguousDatesWarning(message, read_as=fmt, other=twin), stacklevel=3)


def month_day_twin(values: Sequence[str], fmt: str) -> tuple[str, str] | None:
    """The month-first twin of day-first ``fmt`` (or the reverse) when it reads ``values`` too.

    Then the column alone cannot tell 3 April from 4 March: ``'03/04/2024'`` is both.
    Returns the twin and a value the two read differently; values whose day and month
    are equal read the same either way and tell nothing.

    Examples
    --------
    >>> month_day_twin(["01/01/2024", "03/04/2024"], "%d/%m/%Y")
    ('%m/%d/%Y', '03/04/2024')
    >>> month_day_twin(["03/04/2024", "25/12/2024"], "%d/%m/%Y") is None
    True
    """
    twin = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    if twin == fmt or twin not in TIMESTAMP_FORMATS:
        return None
    series = pl.Series("t", [str(v).strip() for v in values], dtype=pl.String)
    mine = series.str.to_datetime(fmt, strict=False, exact=True, time_unit="us")
    theirs = series.str.to_datetime(twin, strict=False, exact=True, time_unit="us")
    if theirs.null_count() > mine.null_count():
        return None
    differ = series.filter(mine.is_not_null() & theirs.is_not_null() & (mine != theirs))
    return (twin, differ[0]) if len(differ) else None


def settle_month_day(
    frame: nw.LazyFrame[Any], column: str, fmt: str, sample: Sequence[str]
) -> tuple[str, tuple[str, str] | None]:
    """The pattern of ``column`` once the whole column has had its say on day and month.

    A sample whose every date reads both ways (the first rows of an export sorted by
    date often hold one week) is settled by the column: the pattern that reads more of
    its values wins, in one pass counting both. Returns the pattern, and the twin with an
    example when the whole column cannot tell either.

    Examples
    --------
    >>> frame = nw.from_native(pl.LazyFrame({"t": ["01/02/2024", "03/02/2024", "02/13/2024"]}))
    >>> settle_month_day(frame, "t", "%d/%m/%Y", ["01/02/2024", "03/02/2024"])
    ('%m/%d/%Y', None)
    """
    ambiguous = month_day_twin(sample, fmt)
    if ambiguous is None:
        return fmt, None
    twin = ambiguous[0]
    read = try_to_datetime(frame, column, "_mine", fmt=fmt)
    read = try_to_datetime(read, column, "_theirs", fmt=twin)
    counts = read.select(
        nw.col("_mine").count().alias("mine"), nw.col("_theirs").count().alias("theirs")
    ).collect()
    mine, theirs = counts["mine"][0], counts["theirs"][0]
    if mine == theirs:
        return fmt, ambiguous
    return (fmt if mine > theirs else twin), None


def as_of_bound(as_of: str | date | datetime | None) -> tuple[datetime | None, str | None]:
    """Return the first excluded instant for an as-of date, and the as-of as text.

    A date includes its whole day (``1997-09-30`` keeps purchases made that
    day, as lifetimes' ``observation_period_end`` does); a datetime includes
    everything up to and including that instant.

    Examples
    --------
    >>> as_of_bound("1997-09-30")
    (datetime.datetime(1997, 10, 1, 0, 0), '1997-09-30')
    """
    if as_of is None:
        return None, None
    try:
        if isinstance(as_of, datetime):
            return as_of + timedelta(microseconds=1), as_of.isoformat(sep=" ")
        if isinstance(as_of, date):
            end = datetime.combine(as_of, datetime.min.time()) + timedelta(days=1)
            return end, as_of.isoformat()
    except OverflowError:
        # The last representable day: nothing can come after it, so nothing is excluded.
        return None, as_of.isoformat() if isinstance(as_of, date) else str(as_of)
    text = str(as_of).strip()
    try:
        if len(text) <= 10:
            day = date.fromisoformat(text)
            return as_of_bound(day)
        return as_of_bound(datetime.fromisoformat(text))
    except ValueError:
        raise ConfigError(
            f"as-of date '{text}' is not a date", hint="write it as YYYY-MM-DD, e.g. 2011-12-09"
        ) from None


@dataclass(frozen=True)
class AsOf:
    """What "as of" means, once, for every reader, feature, model and command.

    As of a **date**, everything on that day is included (lifetimes'
    ``observation_period_end`` and the readers agree); as of a **datetime**,
    everything up to and including that instant. Day counts (recency, tenure)
    run to ``day`` either way. With no as-of at all, each function uses the
    latest timestamp in its data, so nothing is excluded.

    Examples
    --------
    >>> resolve_as_of("2011-12-09")
    AsOf(day=datetime.date(2011, 12, 9), instant=None)
    >>> resolve_as_of("2011-12-09 12:00").instant
    datetime.datetime(2011, 12, 9, 12, 0)
    """

    day: date
    instant: datetime | None = None

    def keep(self, timestamp: str) -> Any:
        """An expression true for the rows of column ``timestamp`` that the as-of includes."""
        on_or_before = nw.col(timestamp).dt.date() <= nw.lit(self.day)
        if self.instant is None:
            return on_or_before
        return on_or_before & (nw.col(timestamp) <= nw.lit(self.instant))


def resolve_as_of(value: str | date | datetime | None, what: str = "as-of date") -> AsOf | None:
    """An :class:`AsOf` from a date, a datetime or ISO text; None stays None.

    Text of ten characters or fewer is a date (``2011-12-09``); longer text is a
    datetime (``2011-12-09 12:00``).
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return AsOf(value.date(), value)
    if isinstance(value, date):
        return AsOf(value)
    text = str(value).strip()
    try:
        if len(text) <= 10:
            return AsOf(date.fromisoformat(text))
        instant = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{what} '{text}' is not a date", hint="write it as YYYY-MM-DD, e.g. 2011-12-09"
        ) from None
    return AsOf(instant.date(), instant)
