"""Ordered aggregations per engine: what a lazy Narwhals group-by cannot say.

Narwhals' lazy group-by takes order-free aggregations only; a customer's value on
their first period is ordered. Each engine has its own (Polars ``sort_by().first()``,
DuckDB ``arg_min``, Spark ``min_by``), kept here as ``portable`` keeps the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.frames import Backend, backend_of, wrap
from segwise.engine.portable import quote_identifier

if TYPE_CHECKING:
    import narwhals.stable.v2 as nw


def periods_per_key(
    frame: nw.LazyFrame[Any], key: str, order: str, value: str | None = None
) -> nw.LazyFrame[Any]:
    """One row per ``key``: its rows, the first and last ``order``, and ``value`` totals.

    Columns ``key, __sw_rows, __sw_first, __sw_last`` and, with ``value``,
    ``__sw_total`` (its sum) and ``__sw_first_value`` (its value on the row with the
    smallest ``order``, which must be unique within a key: a customer's periods).
    Narwhals has no ordered aggregation in a lazy group-by, so each engine uses its
    own (Polars ``sort_by().first()``, DuckDB ``arg_min``, Spark ``min_by``): one
    group-by instead of a window over every row and a group-by after it (the BTYD
    summary of 10M transactions: 6.8 s → 3.1 s for this step).

    Examples
    --------
    >>> import narwhals.stable.v2 as nw
    >>> days = pl.LazyFrame({"c": ["a", "a", "b"], "d": [3, 1, 2], "v": [10.0, 20.0, 5.0]})
    >>> out = periods_per_key(nw.from_native(days), "c", "d", "v").sort("c").collect()
    >>> out.rows()
    [('a', 2, 1, 3, 30.0, 20.0), ('b', 1, 2, 2, 5.0, 5.0)]
    """
    backend = backend_of(frame)
    native = frame.to_native()
    if backend is Backend.POLARS:
        columns = [
            pl.len().cast(pl.Int64).alias("__sw_rows"),
            pl.col(order).min().alias("__sw_first"),
            pl.col(order).max().alias("__sw_last"),
        ]
        if value is not None:
            columns += [
                pl.col(value).sum().alias("__sw_total"),
                pl.col(value).sort_by(order).first().alias("__sw_first_value"),
            ]
        return wrap(native.group_by(key).agg(*columns))
    if backend is Backend.SPARK:
        from pyspark.sql import functions as spark  # noqa: PLC0415 - the optional extra

        aggregates = [
            spark.count(spark.lit(1)).alias("__sw_rows"),
            spark.min(order).alias("__sw_first"),
            spark.max(order).alias("__sw_last"),
        ]
        if value is not None:
            aggregates += [
                spark.sum(value).alias("__sw_total"),
                spark.min_by(value, order).alias("__sw_first_value"),
            ]
        return wrap(native.groupBy(key).agg(*aggregates))
    k, o = quote_identifier(key, backend), quote_identifier(order, backend)
    sql = f"{k}, count(*) AS __sw_rows, min({o}) AS __sw_first, max({o}) AS __sw_last"
    if value is not None:
        v = quote_identifier(value, backend)
        sql += f", sum({v}) AS __sw_total, arg_min({v}, {o}) AS __sw_first_value"
    return wrap(native.aggregate(sql, k))
