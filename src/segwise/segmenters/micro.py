"""Micro-segments on demand: one segment split by one feature, for one campaign.

A marketer about to mail the "Loyal" segment may want four versions by basket
size, or one per country. :func:`micro_segments` cuts the segment's
customers into quantile cells of a numeric feature (equal-count groups, with
the value range of each) or into the most common values of a text feature
(the rest as "other"). The cells are *ad hoc*: they are returned beside the
segment, never stored as a segmentation, and named so no one mistakes them
for one (``Loyal · avg_order_value 35–60``).
"""

from __future__ import annotations

from typing import Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise._validation import hint_for
from segwise.engine import portable
from segwise.engine.frames import move_to, to_lazy
from segwise.exceptions import ColumnNotFoundError, ConfigError

#: Most cells a split may have (a campaign with more versions than this is not one campaign).
MAX_CELLS = 12


def micro_segments(
    members: Any,
    features: Any,
    *,
    within: str,
    by: str,
    cells: int = 4,
    id_col: str = "customer_id",
) -> pl.DataFrame:
    """Split segment ``within`` into ``cells`` cells of feature ``by``.

    Parameters
    ----------
    members
        ``<id_col>, segment`` (one row per customer and segment), any engine.
    features
        The customer table with ``<id_col>`` and ``by``, any engine.
    within
        The segment to split.
    by
        The feature: numeric (quantile cells) or text (its most common values).
    cells
        How many cells (2 to 12).
    id_col
        The customer id column of both tables.

    Returns
    -------
    polars.DataFrame
        ``<id_col>, segment, cell`` for the segment's customers, sorted by id;
        ``cell`` reads ``<segment> · <feature> <range or value>`` (missing
        values: ``<feature> unknown``).

    Examples
    --------
    >>> import polars as pl
    >>> members = pl.DataFrame({"id": ["a", "b", "c", "d"], "segment": ["Loyal"] * 4})
    >>> features = pl.DataFrame({"id": ["a", "b", "c", "d"], "orders": [1, 2, 8, 9]})
    >>> micro_segments(members, features, within="Loyal", by="orders", cells=2, id_col="id")[
    ...     "cell"
    ... ].to_list()
    ['Loyal · orders 1–2', 'Loyal · orders 1–2', 'Loyal · orders 8–9', 'Loyal · orders 8–9']
    """
    if not 2 <= cells <= MAX_CELLS:
        raise ConfigError(f"cells must be between 2 and {MAX_CELLS}, not {cells}")
    table = to_lazy(features)
    names = table.collect_schema().names()
    for column in (id_col, by):
        if column not in names:
            raise ColumnNotFoundError(f"no column '{column}'", hint=hint_for(column, names))
    inside = to_lazy(members).filter(nw.col("segment") == within).select(id_col, "segment")
    joined = move_to(inside, table).join(table.select(id_col, by), on=id_col, how="left")
    if joined.select(nw.len()).collect().item(0, 0) == 0:
        held = sorted(
            str(v) for v in to_lazy(members).select("segment").unique().collect()["segment"]
        )
        raise ConfigError(
            f"no customer in segment '{within}'", hint=f"the segments are {', '.join(held[:20])}"
        )
    numeric = joined.collect_schema()[by].is_numeric()
    labelled = _by_quantile(joined, by, cells) if numeric else _by_value(joined, by, cells)
    cell = nw.concat_str([nw.lit(f"{within} · {by} "), labelled])
    out = joined.select(id_col, "segment", cell.alias("cell"))
    return pl.DataFrame(out.collect(backend="polars").to_native()).sort(id_col)


def _by_quantile(frame: nw.LazyFrame[Any], by: str, cells: int) -> nw.Expr:
    """Equal-count cells, each named by the range of values it holds."""
    cuts = portable.quantiles(frame, by, [k / cells for k in range(1, cells)])
    edges = sorted({c for c in cuts if c is not None})
    value = nw.col(by)
    index: nw.Expr = nw.lit(len(edges), dtype=nw.Int64())
    for k, edge in reversed(list(enumerate(edges))):
        index = nw.when(value <= edge).then(nw.lit(k, dtype=nw.Int64())).otherwise(index)
    bounds = (
        frame.with_columns(index.alias("__sw_cell"))
        .filter(~value.is_null())
        .group_by("__sw_cell")
        .agg(value.min().alias("low"), value.max().alias("high"))
        .collect()
    )
    label: nw.Expr = nw.lit("unknown")
    for cell, low, high in bounds.iter_rows():
        text = _number(low) if low == high else f"{_number(low)}–{_number(high)}"
        label = nw.when(index == cell).then(nw.lit(text)).otherwise(label)
    return nw.when(value.is_null()).then(nw.lit("unknown")).otherwise(label)


def _by_value(frame: nw.LazyFrame[Any], by: str, cells: int) -> nw.Expr:
    """One cell per common value (the ``cells − 1`` most common), the rest as "other"."""
    counts = (
        frame.filter(~nw.col(by).is_null())
        .group_by(by)
        .agg(nw.len().alias("n"))
        .sort(["n", by], descending=[True, False])
        .collect()
    )
    values = [str(v) for v in counts[by].to_list()]
    kept = values if len(values) <= cells else values[: cells - 1]
    text = nw.col(by).cast(nw.String())
    rest = "other" if len(values) > len(kept) else "unknown"
    label = nw.when(text.is_in(kept)).then(text).otherwise(nw.lit(rest))
    return nw.when(nw.col(by).is_null()).then(nw.lit("unknown")).otherwise(label)


def _number(value: Any) -> str:
    number = float(value)
    return f"{number:,.0f}" if number == int(number) or abs(number) >= 100 else f"{number:,.2f}"
