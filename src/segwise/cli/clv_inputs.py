"""What ``segwise clv`` reads: transactions, a customer table or a BTYD summary, as a summary.

Checked before anything is read (one kind of input, with the dates it needs), then
summarised per customer as of the calibration end: the last purchase unless one is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass(frozen=True)
class ClvInput:
    """The summary to fit, the transactions it came from (None for a table), and its date."""

    frame: Any
    purchases: Any
    calibration_end: str | None
    #: No date was given: transactions are fitted up to their last purchase.
    defaulted: bool = False


def read_input(
    files: list[Any],
    source: Any,
    step: Callable[[str], None],
    *,
    summary_cols: str | None,
    orders_col: str | None,
    first_order_col: str | None,
    calibration_end: str | None,
    holdout_end: str | None,
    time_unit: str,
) -> ClvInput:
    """Read transactions, a customer table or a summary, and summarise it to fit."""
    from segwise.cli.data import read_purchases

    if summary_cols is not None:
        step("Reading the summary")
        return ClvInput(_summary_table(files, source, summary_cols), None, None)
    if orders_col is not None:
        step("Reading the customer table")
        assert calibration_end is not None  # check_inputs
        frame = _customer_table_summary(
            files, source, orders_col, first_order_col, calibration_end, holdout_end, time_unit
        )
        return ClvInput(frame, None, calibration_end)
    step("Reading transactions")
    refuse_a_summary_read_as_orders(files)
    purchases = read_purchases(files, **source.keywords())
    step("Summarising")
    end = calibration_end or last_purchase_day(purchases)
    frame = summary(purchases, end, holdout_end, time_unit)
    return ClvInput(frame, purchases, end, defaulted=calibration_end is None)


def check_inputs(
    calibration_end: str | None,
    holdout_end: str | None,
    orders_col: str | None,
    summary_cols: str | None,
    *,
    report: Any = None,
) -> None:
    """One kind of input, with the dates it needs: a summary is already as of its date.

    Checked before anything is read, so a wrong combination fails at once.
    """
    from segwise.exceptions import ConfigError

    if report is not None and holdout_end is None:
        per_customer = summary_cols is not None or orders_col is not None
        raise ConfigError(
            "--report shows the backtest, which needs transactions and --holdout-end",
            hint="pass the transactions with --calibration-end and --holdout-end, or leave "
            "--report out"
            if per_customer
            else "add --holdout-end DATE",
        )

    if summary_cols is None:
        # Transactions alone are fitted up to their last purchase; a holdout or a customer
        # table needs the date said.
        if calibration_end is None and (holdout_end is not None or orders_col is not None):
            raise ConfigError(
                "--calibration-end is needed with --holdout-end or a customer table",
                hint="add --calibration-end YYYY-MM-DD (or give a summary with --summary-cols)",
            )
        return
    if orders_col is not None:
        raise ConfigError(
            "--summary-cols and --orders-col name two different inputs", hint="keep one"
        )
    if calibration_end is not None or holdout_end is not None:
        raise ConfigError(
            "a summary is already as of its date: it takes no --calibration-end or --holdout-end",
            hint="leave the dates out, or pass the transactions to backtest",
        )


def _summary_table(files: list[Any], source: Any, summary_cols: str) -> Any:
    """A BTYD summary file (one row per customer), its columns renamed and checked."""
    import polars as pl

    import segwise as sw
    from segwise.exceptions import ConfigError
    from segwise.models.base import purchase_summary

    names = [name.strip() for name in summary_cols.split(",")]
    if len(files) != 1 or len(names) != 4 or "" in names:
        raise ConfigError(
            "--summary-cols reads one summary file and names its four columns: "
            f"frequency, recency, T and monetary value (got {summary_cols!r})",
            hint="e.g. --summary-cols frequency,recency,T,monetary_value",
        )
    table = sw.read_customers(files[0], **source.keywords("customers"))
    frame = table.to_native()
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise ConfigError(
            f"{files[0]}: no column {', '.join(repr(m) for m in missing)}",
            hint=f"the file has: {', '.join(frame.columns)}",
        )
    roles = ["frequency", "recency", "T", "monetary_value"]
    renamed = frame.select(
        "customer_id", *(pl.col(name).alias(role) for name, role in zip(names, roles, strict=True))
    )
    purchase_summary(renamed)  # one clear error naming the first bad row
    return renamed.sort("customer_id")


def _customer_table_summary(
    files: list[Any],
    source: Any,
    orders_col: str,
    first_order_col: str | None,
    calibration_end: str,
    holdout_end: str | None,
    time_unit: str,
) -> Any:
    """The BTYD summary of a customer table (one row per customer), named by the options."""
    import segwise as sw
    from segwise.exceptions import ConfigError
    from segwise.features.customer_table import customer_summary

    if holdout_end is not None:
        raise ConfigError(
            "a customer table has no holdout to check against",
            hint="leave --holdout-end out, or pass the transactions instead",
        )
    if len(files) != 1 or None in (first_order_col, source.timestamp, source.amount):
        raise ConfigError(
            "--orders-col reads one customer table: name its first and last order dates "
            "and total revenue",
            hint="add --first-order-col FIRST --date-col LAST --amount-col REVENUE",
        )
    table = sw.read_customers(files[0], **source.keywords("customers"))
    return customer_summary(
        table.data,
        orders_col=orders_col,
        revenue_col=source.amount,
        first_order_col=str(first_order_col),
        last_order_col=source.timestamp,
        observation_period_end=calibration_end,
        time_unit=time_unit,
    )


def last_purchase_day(purchases: Any) -> str:
    """The day of the latest purchase (YYYY-MM-DD): where a fit with no date given ends."""
    from datetime import datetime

    import narwhals.stable.v2 as nw

    from segwise.engine.frames import to_lazy
    from segwise.exceptions import DataError

    last = to_lazy(purchases).select(nw.col("timestamp").max()).collect().item()
    if last is None:
        raise DataError("no purchase to fit", hint="check the file: every row was quarantined")
    return (last.date() if isinstance(last, datetime) else last).isoformat()


def summary(purchases: Any, calibration_end: str, holdout_end: str | None, time_unit: str) -> Any:
    """The calibration summary (with holdout counts and revenue when there is a holdout)."""
    from datetime import datetime

    import narwhals.stable.v2 as nw

    from segwise.engine.frames import to_lazy
    from segwise.exceptions import ConfigError
    from segwise.features import rfm_summary
    from segwise.features._timestamps import as_day
    from segwise.project.clv_backtest import holdout_frame

    first = to_lazy(purchases).select(nw.col("timestamp").min()).collect().item()
    first = first.date() if isinstance(first, datetime) else first
    end = as_day(calibration_end, "--calibration-end")
    if first is not None and end is not None and first > end:
        raise ConfigError(
            f"the calibration end {calibration_end} is before the first purchase "
            f"({first}): no customer can be fitted",
            hint="pick a --calibration-end after the first purchase",
        )

    if holdout_end is not None:
        return holdout_frame(
            purchases, calibration_end=calibration_end, holdout_end=holdout_end, time_unit=time_unit
        )
    summary = rfm_summary(
        purchases,
        monetary_value_col="amount",
        observation_period_end=calibration_end,
        time_unit=time_unit,
    )
    return to_lazy(summary).collect(backend="polars").to_native().sort("customer_id")


#: The columns that give a BTYD summary away (lifetimes' and R BTYD's names).
_SUMMARY_NAMES = ({"frequency", "recency", "t"}, {"x", "t_x", "t"}, {"x", "t.x", "t.cal"})


def refuse_a_summary_read_as_orders(files: list[Any]) -> None:
    """A ConfigError when the one file given is a BTYD summary, not transactions.

    Read as transactions it failed for want of a date column, which hid what to do:
    say ``--summary-cols``. Files that cannot be peeked at are left to the reader.
    """
    from pathlib import Path

    import polars as pl

    from segwise.exceptions import ConfigError

    if len(files) != 1 or not isinstance(files[0], str | Path):
        return
    path = Path(files[0])
    try:
        if path.suffix == ".parquet":
            columns = list(pl.read_parquet_schema(path))
        else:
            columns = pl.read_csv(path, n_rows=0, infer_schema_length=0).columns
    except Exception:  # noqa: BLE001 - anything unreadable is the reader's to explain
        return
    names = {c.lower() for c in columns}
    if any(wanted <= names for wanted in _SUMMARY_NAMES):
        raise ConfigError(
            f"{path.name}: a BTYD summary (one row per customer: {', '.join(columns)}), not "
            "transactions",
            hint="name its columns with --summary-cols, e.g. "
            "--summary-cols frequency,recency,T,monetary_value or x,t_x,T,zbar",
        )
