"""How each role column is written, read off a sample of it: timestamps, expiries, numbers.

A reader opens a source, then asks these what pattern its dates follow and how its
numbers are written; the answers go into the row checks' plan, and into the notes of
the quality report where they are worth saying.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise.exceptions import DataError
from segwise.io.csv import sample_columns as sample_csv_columns
from segwise.io.money import NumberFormat, read_number_format
from segwise.io.timestamps import detect_timestamp_format, settle_month_day, warn_ambiguous

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.io.roles import ColumnRoles
    from segwise.io.sources import RawSource

#: Values read to recognise how a column is written.
SAMPLE_ROWS = 2_000


def sample_values(raw: RawSource, frame: nw.LazyFrame[Any], column: str) -> list[str]:
    """The first non-blank values of ``column`` as text (from the sniffed text of a CSV)."""
    return sample_columns(raw, frame, [column])[column]


def sample_columns(
    raw: RawSource, frame: nw.LazyFrame[Any], columns: Sequence[str]
) -> dict[str, list[str]]:
    """:func:`sample_values` of several columns, in one parse of the sniffed text or one query.

    A wide customer table on Spark paid a query per column otherwise.
    """
    samples = sample_csv_columns(raw.dialect, columns, rows=SAMPLE_ROWS) if raw.dialect else {}
    rest = [c for c in columns if c not in samples]
    if rest:
        head = frame.select(*rest).head(SAMPLE_ROWS).collect()
        for column in rest:
            values = head[column].to_list()
            samples[column] = [str(v) for v in values if v is not None and str(v).strip()]
    return samples


def timestamp_format(
    raw: RawSource, frame: nw.LazyFrame[Any], roles: ColumnRoles, given: str | None
) -> str | None:
    """The strftime pattern of the timestamp column (None: typed, absent or no values).

    Raises
    ------
    DataError
        No value of the sample reads as a date with any known pattern.
    """
    source = raw.name
    column = roles.get("timestamp")
    if column is None:
        return None
    dtype = frame.collect_schema()[column]
    if isinstance(dtype, nw.Date | nw.Datetime):
        return None
    if given:
        return given
    sample = sample_values(raw, frame, column)
    if not sample:
        return None  # nothing to parse: every row is reported as missing a timestamp
    fmt, _parsed = detect_timestamp_format(sample)
    if fmt is None:
        raise DataError(
            f"no timestamp could be read as a date (first value {sample[0]!r})",
            hint="pass the pattern with --date-format (timestamp_format= in Python), "
            "e.g. '%d/%m/%Y', epoch-s / epoch-ms for Unix times, excel-days for Excel's serial "
            "dates",
            source=source,
            column=column,
        )
    fmt, ambiguous = settle_month_day(frame, column, fmt, sample)
    if ambiguous is not None:
        warn_ambiguous(f"{source}: column '{column}'", fmt, ambiguous)
    return fmt


def expires_format(frame: nw.LazyFrame[Any], roles: ColumnRoles) -> str | None:
    """A consent expiry's pattern, read off its values (None: typed dates, or unreadable)."""
    column = roles.get("expires")
    if column is None or isinstance(frame.collect_schema()[column], nw.Date | nw.Datetime):
        return None
    # Expiries are sparse (most grants never lapse): sample the rows that have one.
    text = nw.col(column).cast(nw.String()).str.strip_chars()
    given = frame.select(text.alias(column)).filter(~nw.col(column).is_null() & (text != ""))
    sample = given.head(SAMPLE_ROWS).collect()[column].to_list()
    # 9999-12-31 is how many systems write "never expires": a date like any other here.
    fmt = detect_timestamp_format(sample, years=(1900, 9999))[0] if sample else None
    if fmt is None:
        return None
    # A consent read a month off lapses on the wrong day: settled as the timestamps are.
    fmt, ambiguous = settle_month_day(given, column, fmt, sample)
    if ambiguous is not None:
        warn_ambiguous(f"consent expiries, column '{column}'", fmt, ambiguous)
    return fmt


#: The roles whose values are numbers, which a text column may write for people.
_NUMBER_ROLES = ("amount", "quantity", "unit_price", "value", "refunded_amount")


def number_formats(
    raw: RawSource, frame: nw.LazyFrame[Any], roles: ColumnRoles
) -> dict[str, NumberFormat]:
    """How each text number column writes its numbers, read off its own values."""
    schema, guess = frame.collect_schema(), bool(raw.dialect and raw.dialect.decimal_comma)
    return {
        column: read_number_format(sample_values(raw, frame, column), decimal_comma=guess)
        for role in _NUMBER_ROLES
        if (column := roles.get(role)) is not None and schema[column] == nw.String
    }


def number_notes(formats: dict[str, NumberFormat], decimal_comma: bool) -> list[str]:
    """One note per column written otherwise than the file's plain numbers."""
    return [
        f"column '{column}' written as {fmt.describe()}: read as numbers"
        for column, fmt in formats.items()
        if not fmt.plain or fmt.decimal_comma != decimal_comma
    ]
