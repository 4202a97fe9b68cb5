"""Customer ids as text: the one cast every table's ids go through, so they join.

A customer read from a CSV (``"17850"``), a Parquet integer column (``17850``) and a
pandas float column (``17850.0``, where the ids had gaps) is one customer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw

if TYPE_CHECKING:
    from collections.abc import Sequence


def id_as_text(column: str, dtype: Any, *, whole_floats: bool = False) -> nw.Expr:
    """A customer id column as text: ids are text everywhere, cast once at ingestion.

    Integer ids become their digits; float ids that are whole numbers (pandas
    turns integer ids with gaps into floats) lose the ``.0``, and so do text ids
    that such a column wrote (``whole_floats``: see :func:`written_as_whole_floats`).
    """
    if dtype == nw.String:
        if whole_floats:
            return nw.col(column).str.replace_all(r"\.0$", "")
        return nw.col(column)
    if dtype.is_float():
        whole = nw.col(column) == nw.col(column).round(0)
        return (
            nw.when(whole & (nw.col(column).abs() < 2.0**53))
            .then(nw.col(column).cast(nw.Int64()).cast(nw.String()))
            .otherwise(nw.col(column).cast(nw.String()))
        )
    return nw.col(column).cast(nw.String())


#: An integer id as a float column writes it: digits, then ".0".
WHOLE_FLOAT = r"^-?[0-9]+\.0$"


def written_as_whole_floats(frame: nw.LazyFrame[Any], column: str, sample: Sequence[str]) -> bool:
    """Whether every id of text ``column`` is a whole number with ``.0`` (``17850.0``).

    A CSV exported from pandas writes integer ids with gaps that way; the same
    ids in another table (``17850``) would then name other customers. Checked
    on the sample, then over the whole column (one count) only when the sample says so.

    Examples
    --------
    >>> import polars as pl
    >>> frame = nw.from_native(pl.LazyFrame({"id": ["17850.0", "13047.0", None]}))
    >>> written_as_whole_floats(frame, "id", ["17850.0", "13047.0"])
    True
    >>> written_as_whole_floats(frame, "id", ["17850.0", "A1"])
    False
    """
    if not sample or not all(re.fullmatch(WHOLE_FLOAT, value) for value in sample):
        return False
    text = nw.col(column)
    other = ~text.is_null() & (text.str.strip_chars() != "") & ~text.str.contains(WHOLE_FLOAT)
    return int(frame.filter(other).select(nw.len()).collect().item()) == 0
