"""``segwise clv FILE … --calibration-end DATE``: BTYD fit, predictions and value tiers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors

if TYPE_CHECKING:
    from segwise.io.options import SourceOptions


@user_errors
@opt.with_source_options
def clv(
    files: opt.TransactionFiles,
    calibration_end: Annotated[
        str | None,
        typer.Option(
            "--calibration-end",
            help="Fit on purchases up to this date (YYYY-MM-DD); needed for transactions.",
        ),
    ] = None,
    holdout_end: Annotated[
        str | None,
        typer.Option(
            "--holdout-end", help="Compare predictions with what happened up to this date."
        ),
    ] = None,
    time_unit: Annotated[
        str,
        typer.Option("--time-unit", help="D, W (days ÷ 7), or calendar periods: isoweek, month."),
    ] = "W",
    horizon: Annotated[
        float | None,
        typer.Option(
            "--horizon",
            help="Prediction horizon in time units (default: the holdout, else 52 weeks).",
        ),
    ] = None,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="Discount per time unit for CLV (0 = none).")
    ] = 0.0,
    tiers: Annotated[
        str, typer.Option("--tiers", help="Shares for high/medium tiers, e.g. 0.2,0.6.")
    ] = "0.2,0.6",
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            min=0,
            help="Parameter draws for 95% intervals on P(alive), purchases and CLV (0: none).",
        ),
    ] = 0,
    purchase_model: Annotated[
        str,
        typer.Option(
            "--purchase-model",
            help="BG/NBD, MBG/NBD or Pareto/NBD: the model of purchases and dropout "
            "(--holdout-end compares all three).",
        ),
    ] = "BG/NBD",
    orders_col: Annotated[
        str | None,
        typer.Option(
            "--orders-col",
            help="The file is a customer table: this column counts each customer's orders, "
            "--amount-col is their total revenue, --date-col their last order date.",
        ),
    ] = None,
    first_order_col: Annotated[
        str | None,
        typer.Option("--first-order-col", help="With --orders-col: the first order date."),
    ] = None,
    summary_cols: Annotated[
        str | None,
        typer.Option(
            "--summary-cols",
            help="The file is a BTYD summary, one row per customer in --time-unit units: its "
            "frequency, recency, T and monetary value columns, e.g. "
            "frequency,recency,T,monetary_value or x,t_x,T,zbar.",
        ),
    ] = None,
    output: opt.Output = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="With --holdout-end: write the backtest (table and chart) as an HTML page.",
        ),
    ] = None,
    as_json: opt.Json = False,
    *,
    source: SourceOptions,
) -> None:
    """Fit a purchase model and Gamma-Gamma; predict P(alive), purchases, value, CLV and tier.

    The purchase model is BG/NBD unless --purchase-model names MBG/NBD or Pareto/NBD.
    With --holdout-end the JSON also compares predicted and actual holdout purchases.
    """
    from segwise._validation import purchase_model_name
    from segwise.cli.data import read_purchases
    from segwise.io.writers import write_table

    model = purchase_model_name(purchase_model)

    shares = list(opt.shares(tiers, example="0.2,0.6"))
    _check_inputs(calibration_end, holdout_end, orders_col, summary_cols, report=report)
    with progress("Reading") as step:
        if summary_cols is not None or orders_col is not None:
            step("Reading the customer table")
            frame = _per_customer(
                files, source, summary_cols, orders_col, first_order_col, calibration_end,
                holdout_end, time_unit,
            )  # fmt: skip
        else:
            step("Reading transactions")
            purchases = read_purchases(files, **source.keywords())
            step("Summarising")
            assert calibration_end is not None  # _check_inputs
            frame = _summary(purchases, calibration_end, holdout_end, time_unit)
        step("Fitting and predicting")
        result, payload = _fit_and_predict(
            frame,
            holdout=holdout_end is not None,
            time_unit=time_unit,
            horizon=horizon,
            discount_rate=discount_rate,
            shares=shares,
            draws=draws,
            purchase_model=model,
        )
        if holdout_end is not None and calibration_end is not None:
            step("Comparing models and tracking the holdout")
            _diagnose(purchases, frame, payload, calibration_end, holdout_end, time_unit)
        if output is not None:
            step(f"Writing {output}")
            write_table(result, output)
        if report is not None:
            assert holdout_end is not None and calibration_end is not None  # checked above
            step(f"Writing {report}")
            _write_report(report, payload, calibration_end, holdout_end, time_unit)
    _public(payload, calibration_end, holdout_end, summary=summary_cols is not None)
    console = stdout()
    if as_json:
        console.print_json(json_text(payload))
        return
    from segwise.models.purchase_models import PARAMETER_KEYS

    key = PARAMETER_KEYS[payload["purchase_model"]]
    console.print(f"{payload['purchase_model']}: {json.dumps(payload[key])}", highlight=False)
    console.print(f"Gamma-Gamma: {json.dumps(payload['gamma_gamma'])}", highlight=False)
    console.print(f"tiers: {payload['tiers']}", highlight=False)
    if "backtest" in payload:
        _print_backtest(console, payload["backtest"])
        console.print(f"model comparison: {payload['comparison']['verdict']}", highlight=False)
    if output is not None:
        console.print(f"{result.height:,} customers written to {output}", highlight=False)


def _public(
    payload: dict[str, Any], calibration_end: str | None, holdout_end: str | None, *, summary: bool
) -> None:
    """The payload as printed: the dates and input kind in, the objects kept for the report out."""
    payload["calibration_end"] = calibration_end
    if summary:
        payload["input"] = "summary"
    if holdout_end is not None:
        payload["backtest"]["holdout_end"] = holdout_end
    for internal in ("_backtest", "_backtest_model", "_diagnostics"):
        payload.pop(internal, None)


def _check_inputs(
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
        if calibration_end is None:
            raise ConfigError(
                "--calibration-end is needed to summarise transactions or a customer table",
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


def _per_customer(
    files: list[Any],
    source: Any,
    summary_cols: str | None,
    orders_col: str | None,
    first_order_col: str | None,
    calibration_end: str | None,
    holdout_end: str | None,
    time_unit: str,
) -> Any:
    """The summary of a file with one row per customer: a summary already, or a CRM table."""
    if summary_cols is not None:
        return _summary_table(files, source, summary_cols)
    assert orders_col is not None and calibration_end is not None  # _check_inputs
    return _customer_table_summary(
        files, source, orders_col, first_order_col, calibration_end, holdout_end, time_unit
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
    summary = frame.select(
        "customer_id", *(pl.col(name).alias(role) for name, role in zip(names, roles, strict=True))
    )
    purchase_summary(summary)  # one clear error naming the first bad row
    return summary.sort("customer_id")


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


def _summary(purchases: Any, calibration_end: str, holdout_end: str | None, time_unit: str) -> Any:
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


def _diagnose(
    purchases: Any,
    frame: Any,
    payload: dict[str, Any],
    calibration_end: str,
    holdout_end: str,
    time_unit: str,
) -> None:
    """Add the model comparison, the fit histogram and the weekly tracking to ``payload``."""
    from segwise.features._timestamps import as_day
    from segwise.models.tracking import pace_shift
    from segwise.project.clv_backtest import holdout_diagnostics

    cohort_end, until = as_day(calibration_end), as_day(holdout_end)
    assert cohort_end is not None and until is not None  # both given, read by the summary
    found = holdout_diagnostics(
        purchases,
        frame,
        payload["_backtest_model"],
        calibration_end=cohort_end,
        holdout_end=until,
        time_unit=time_unit,
    )
    payload["comparison"] = found.comparison.to_dict()
    payload["histogram"] = found.histogram.to_dicts()
    tracking = found.tracking.with_columns(found.tracking["week_ending"].cast(str))
    payload["tracking"] = tracking.to_dicts()
    payload["_diagnostics"] = found
    if (shift := pace_shift(found.tracking, cohort_end)) is not None:
        payload["warnings"].append(f"in the backtest, {shift}")
        sys.stderr.write(f"warning: in the backtest, {shift}\n")


def _fit_and_predict(
    frame: Any,
    *,
    holdout: bool,
    time_unit: str,
    horizon: float | None,
    discount_rate: float,
    shares: list[float],
    draws: int = 0,
    purchase_model: str = "BG/NBD",
) -> tuple[Any, dict[str, Any]]:
    """Fit both models on the summary and return the per-customer table and the JSON payload."""
    from segwise.features.periods import YEAR
    from segwise.models.backtest import unheld_churn
    from segwise.models.predictions import predict_customers
    from segwise.project.clv_backtest import check_holdout

    default = float(frame["duration_holdout"][0]) if holdout else YEAR.get(time_unit, 365.0)
    units = horizon or default
    predictions = predict_customers(
        frame,
        horizon=units,
        discount_rate=discount_rate,
        tiers=shares,
        draws=draws,
        purchase_model=purchase_model,
    )
    result = predictions.table
    payload: dict[str, Any] = {
        "purchase_model": purchase_model,
        **predictions.parameters(),
        "customers": result.height,
        "fitted_customers": predictions.fitted_customers,
        "time_unit": time_unit,
        "horizon": units,
        "tiers": dict(result.group_by("tier").len().iter_rows()),
        "segments": dict(result.group_by("segment").len().iter_rows()),
        "churn_basis": predictions.churn_basis,
        "draws": draws,
        "warnings": [str(w) for w in predictions.warnings],
    }
    for warning in predictions.warnings:
        # On stderr, so --json output stays clean; the same text is in the payload.
        sys.stderr.write(f"warning: {warning}\n")
    if (sampled := predictions.fit_note()) is not None:
        sys.stderr.write(f"note: {sampled}\n")
    if holdout:
        checked = check_holdout(frame, predictions)
        for unheld in unheld_churn(checked.churn_check):
            payload["warnings"].append(unheld)
            sys.stderr.write(f"warning: {unheld}\n")
        payload["backtest"] = checked.to_dict()
        # Did the predicted groups behave as predicted? Mean realised holdout results.
        payload["backtest"]["holdout_purchases_per_segment"] = {
            row["segment"]: row["actual"] for row in checked.to_dict()["by_segment"]
        }
        payload["backtest"]["holdout_value_per_tier"] = {
            row["tier"]: row["actual_value"] for row in checked.to_dict()["by_tier"]
        }
        payload["_backtest"] = checked
        payload["_backtest_model"] = predictions.purchase_model
    return result, payload


def _print_backtest(console: Any, backtest: dict[str, Any]) -> None:
    from rich.table import Table

    console.print(
        f"backtest: {backtest['predicted_purchases']:,.0f} purchases predicted, "
        f"{backtest['actual_purchases']:,.0f} actual; MAE {backtest['mae']:.3f}, "
        f"correlation {backtest['correlation']:.2f}",
        highlight=False,
    )
    table = Table(title="holdout purchases by calibration repeat purchases", title_justify="left")
    for column in ("repeat purchases", "customers", "predicted", "actual"):
        table.add_column(column, justify="right")
    for row in backtest["by_frequency"]:
        table.add_row(
            row["frequency_bin"],
            f"{row['customers']:,}",
            f"{row['predicted']:.2f}",
            f"{row['actual']:.2f}",
        )
    console.print(table)
    segments = Table(title="did the predicted groups behave as predicted?", title_justify="left")
    for column in ("segment", "customers", "predicted", "actual", "bought nothing"):
        segments.add_column(column, justify="left" if column == "segment" else "right")
    for row in backtest.get("by_segment", []):
        segments.add_row(
            row["segment"],
            f"{row['customers']:,}",
            f"{row['predicted']:.2f}",
            f"{row['actual']:.2f}",
            f"{row['no_purchase_share']:.0%}",
        )
    console.print(segments)


def _write_report(
    path: Path, payload: dict[str, Any], calibration_end: str, holdout_end: str, time_unit: str
) -> None:
    from segwise.io.writers import write_text
    from segwise.report.clv import clv_section
    from segwise.report.quality import render_quality_report

    section = clv_section(
        payload["_backtest"],
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        time_unit=time_unit,
        comparison=payload["_diagnostics"].comparison,
        histogram=payload["_diagnostics"].histogram,
        tracking=payload["_diagnostics"].tracking,
        model=payload["purchase_model"],
    )
    html = render_quality_report([], title="segwise lifetime value backtest", clv=[section])
    write_text(html, path)
