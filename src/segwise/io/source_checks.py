"""Checks on a source as opened, before its rows are read: names and the id's type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

from segwise._validation import hint_for
from segwise.exceptions import DataError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.io.sources import RawSource


def refuse_odd_columns(raw: RawSource, text_columns: Sequence[str]) -> None:
    """Refuse a column named like segwise's own, and a text column the data lacks."""
    reserved = [c for c in raw.columns if c.startswith("__sw_")]
    if reserved:
        raise DataError(
            f"column '{reserved[0]}' uses the prefix __sw_, which segwise reserves",
            hint="rename the column before reading the data",
            source=raw.name,
            column=reserved[0],
        )
    for column in text_columns:
        if column not in raw.columns:
            raise DataError(
                f"text column '{column}' is not in the data",
                hint=hint_for(column, raw.columns),
                source=raw.name,
            )


def id_type(frame: nw.LazyFrame[Any], column: str, source: str) -> Any:
    """The customer id column's type, refused unless text or numbers (a list, a date)."""
    dtype = frame.collect_schema()[column]
    if not (dtype == nw.String or dtype.is_numeric()):
        raise DataError(
            f"the customer id column has type {dtype}; ids must be text or numbers",
            hint="choose another column with --customer-col (customer_id= in Python)",
            source=source,
            column=column,
        )
    return dtype
