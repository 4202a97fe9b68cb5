"""Customer-level input: RFM and the BTYD summary from one row per customer, not transactions.

Many CRMs export exactly that: the customer, their number of orders, their total
revenue, the date of their last order and of their first. This is R rfm's
``rfm_table_customer``. The metrics come straight from the columns:

- RFM: recency = days from the last order to the as-of date, frequency = orders,
  monetary = total revenue (mean revenue per order for the ``pymc`` preset, as
  its metrics are per purchase);
- BTYD: frequency = orders − 1 (repeat orders), recency = last − first order,
  T = as-of − first order, in the time unit; ``monetary_value`` is the mean
  revenue per order of customers with repeat orders (0 otherwise). The
  transaction summary's mean excludes the first order; totals cannot, so this is
  the nearest the table allows, and the docs say so.

Rows are checked before anything is computed: a missing or unreadable date, a
count of orders that is not a whole number of at least 1, a last order before
the first, or a last order after the as-of date is refused with the row named.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl

from segwise.engine.frames import to_lazy
from segwise.exceptions import ConfigError, DataError
from segwise.features._timestamps import as_day, ensure_datetime
from segwise.features.periods import DAILY
from segwise.features.rfm import RFM_PRESETS, score_rfm

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date, datetime

    from segwise.features.rfm import Binning
    from segwise.features.score_map import ScoreMap


def _checked(
    table: Any,
    columns: Mapping[str, str | None],
    as_of: str | date | datetime | None,
) -> tuple[pl.DataFrame, date]:
    """The table with canonical columns (dates parsed), checked row by row, and the as-of day."""
    lazy = to_lazy(table)
    names = lazy.collect_schema().names()
    wanted = {role: column for role, column in columns.items() if column is not None}
    missing = [column for column in wanted.values() if column not in names]
    if missing:
        raise DataError(
            f"the customer table lacks the column(s) {', '.join(missing)}",
            hint="name them with id_col=, orders_col=, revenue_col=, "
            "last_order_col= (and first_order_col= for the BTYD summary)",
        )
    for role in ("last_order", "first_order"):
        if role in wanted:
            lazy, parsed = ensure_datetime(lazy, wanted[role])
            lazy = lazy.with_columns(nw.col(parsed).alias(f"__sw_{role}"))
            wanted[role] = f"__sw_{role}"
    frame = (
        lazy.select(*(nw.col(column).alias(role) for role, column in wanted.items()))
        .collect(backend="polars")
        .to_native()
        .with_columns(pl.col(r).cast(pl.Date) for r in ("last_order", "first_order") if r in wanted)
    )
    if frame.is_empty():
        raise DataError("the customer table has no rows", hint="check the input")
    end = as_day(as_of) or frame["last_order"].max()
    _refuse_bad_rows(frame, columns, end)
    return frame, end


def _refuse_bad_rows(frame: pl.DataFrame, columns: Mapping[str, str | None], end: date) -> None:
    orders = pl.col("orders").cast(pl.Float64, strict=False)
    checks: list[tuple[str, pl.Expr, str]] = [
        ("customer_id", pl.col("customer_id").is_null(), "has no customer id"),
        (
            "orders",
            orders.is_null() | (orders < 1) | (orders != orders.floor()),
            "orders must be a whole number of at least 1",
        ),
        (
            "revenue",
            pl.col("revenue").cast(pl.Float64, strict=False).is_null(),
            "revenue is missing or not a number",
        ),
        (
            "last_order",
            pl.col("last_order").is_null(),
            "the last order date is missing or unreadable",
        ),
        ("last_order", pl.col("last_order") > end, f"the last order is after the as-of date {end}"),
    ]
    if "first_order" in frame.columns:
        checks += [
            (
                "first_order",
                pl.col("first_order").is_null(),
                "the first order date is missing or unreadable",
            ),
            (
                "last_order",
                pl.col("last_order") < pl.col("first_order"),
                "the last order is before the first",
            ),
            (
                "orders",
                (orders == 1) & (pl.col("last_order") != pl.col("first_order")),
                "one order, but the first and last order dates differ",
            ),
        ]
    for role, bad, text in checks:
        found = frame.with_row_index("__sw_row").filter(bad).head(1)
        if found.height:
            row = int(found["__sw_row"][0]) + 1  # 1-based, as the summary checks count
            raise DataError(
                f"row {row}: {text}",
                column=columns[role],
                hint="fix the row in the export, or leave that customer out",
            )


def rfm_table_customer(
    table: Any,
    *,
    id_col: str = "customer_id",
    orders_col: str = "orders",
    revenue_col: str = "revenue",
    last_order_col: str = "last_order",
    as_of: str | date | datetime | None = None,
    bins: int | None = None,
    binning: Binning = "quantile",
    thresholds: dict[str, list[float]] | None = None,
    preset: str = "segwise",
    segment_map: ScoreMap | str | None = None,
) -> Any:
    """Score a customer-level table (one row per customer) as :func:`segwise.rfm_table` does.

    Parameters
    ----------
    table
        Any supported frame: customer, number of orders, total revenue, last order date.
        It is read into memory (one row per customer) and scored there.
    as_of
        Recency counts days to it (default: the latest last order).
    bins, binning, thresholds, preset, segment_map
        As for :func:`segwise.rfm_table`.

    Returns
    -------
    polars.DataFrame
        ``customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,
        rfm_score, segment``, sorted by customer.

    Examples
    --------
    >>> import polars as pl
    >>> crm = pl.DataFrame({"customer_id": ["a", "b", "c", "d", "e"],
    ...                     "orders": [1, 2, 3, 4, 5], "revenue": [10.0, 40, 90, 160, 250],
    ...                     "last_order": ["2024-01-01", "2024-02-01", "2024-03-01",
    ...                                    "2024-04-01", "2024-05-01"]})
    >>> out = rfm_table_customer(crm, as_of="2024-06-01")
    >>> out.select("customer_id", "recency_days", "rfm_score", "segment").rows()[-1]
    ('e', 31, '555', 'Champions')
    """
    if preset not in RFM_PRESETS:
        raise ConfigError(f"unknown preset '{preset}'", hint=f"use one of {', '.join(RFM_PRESETS)}")
    columns = {"customer_id": id_col, "orders": orders_col, "revenue": revenue_col,
               "last_order": last_order_col}  # fmt: skip
    frame, end = _checked(table, columns, as_of)
    metrics = frame.select(
        "customer_id",
        (pl.lit(end) - pl.col("last_order")).dt.total_days().alias("recency_days"),
        pl.col("orders").cast(pl.Int64).alias("frequency"),
        pl.col("revenue").cast(pl.Float64).alias("monetary"),
    )
    if RFM_PRESETS[preset].style == "pymc":  # pymc-marketing's monetary is per purchase
        metrics = metrics.with_columns(pl.col("monetary") / pl.col("frequency"))
    lazy = nw.from_native(metrics.lazy())
    return score_rfm(lazy, "polars-eager", bins=bins, binning=binning, thresholds=thresholds,
                     preset=preset, segment_map=segment_map)  # fmt: skip


def customer_summary(
    table: Any,
    *,
    id_col: str = "customer_id",
    orders_col: str = "orders",
    revenue_col: str = "revenue",
    first_order_col: str = "first_order",
    last_order_col: str = "last_order",
    observation_period_end: str | date | datetime | None = None,
    time_unit: str = "D",
) -> pl.DataFrame:
    """The BTYD summary (``frequency, recency, T, monetary_value``) of a customer-level table.

    Examples
    --------
    >>> import polars as pl
    >>> crm = pl.DataFrame({"customer_id": ["a", "b"], "orders": [3, 1],
    ...                     "revenue": [90.0, 15.0], "first_order": ["2024-01-01", "2024-02-01"],
    ...                     "last_order": ["2024-01-15", "2024-02-01"]})
    >>> customer_summary(crm, observation_period_end="2024-03-01").rows()
    [('a', 2.0, 14.0, 60.0, 30.0), ('b', 0.0, 0.0, 29.0, 0.0)]
    """
    if time_unit not in DAILY:  # orders are not calendar periods: two may share a week
        raise ConfigError(f"time_unit must be D or W, not {time_unit!r}")
    columns = {"customer_id": id_col, "orders": orders_col, "revenue": revenue_col,
               "first_order": first_order_col, "last_order": last_order_col}  # fmt: skip
    frame, end = _checked(table, columns, observation_period_end)
    unit = DAILY[time_unit]
    repeat = pl.col("orders").cast(pl.Float64) - 1
    return frame.select(
        "customer_id",
        repeat.alias("frequency"),
        ((pl.col("last_order") - pl.col("first_order")).dt.total_days() / unit).alias("recency"),
        ((pl.lit(end) - pl.col("first_order")).dt.total_days() / unit).alias("T"),
        pl.when(repeat > 0)
        .then(pl.col("revenue").cast(pl.Float64) / pl.col("orders"))
        .otherwise(0.0)
        .alias("monetary_value"),
    ).sort("customer_id")
