"""``segwise clv FILE … [--calibration-end DATE]``: BTYD fit, predictions and value tiers."""

from __future__ import annotations

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
            help="Fit on purchases up to this date (YYYY-MM-DD; default: the last purchase). "
            "Needed with --holdout-end or a customer table.",
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
    from segwise.cli.clv_inputs import check_inputs, read_input
    from segwise.io.writers import write_table

    model = purchase_model_name(purchase_model)

    shares = list(opt.shares(tiers, example="0.2,0.6"))
    check_inputs(calibration_end, holdout_end, orders_col, summary_cols, report=report)
    with progress("Reading") as step:
        given = read_input(
            files, source, step, summary_cols=summary_cols, orders_col=orders_col,
            first_order_col=first_order_col, calibration_end=calibration_end,
            holdout_end=holdout_end, time_unit=time_unit,
        )  # fmt: skip
        frame, purchases, calibration_end = given.frame, given.purchases, given.calibration_end
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
    if given.defaulted:
        console.print(
            f"fitted on every purchase, up to {calibration_end} (the last; --calibration-end "
            "sets another date)",
            highlight=False,
        )
    _print_text(console, payload, result, output)


def _print_text(console: Any, payload: dict[str, Any], result: Any, output: Path | None) -> None:
    """The fit's parameters, the segments and tiers, and the backtest, as ``segwise clv`` prints."""
    from segwise.models.purchase_models import PARAMETER_KEYS

    key = PARAMETER_KEYS[payload["purchase_model"]]
    for name, fitted in (
        (payload["purchase_model"], payload[key]),
        ("Gamma-Gamma", payload["gamma_gamma"]),
    ):
        console.print(f"{name}: {parameters_text(fitted)}", highlight=False)
    console.print(_groups_table(payload, result.height))
    if "backtest" in payload:
        _print_backtest(console, payload["backtest"])
        console.print(f"model comparison: {payload['comparison']['verdict']}", highlight=False)
    if output is not None:
        console.print(f"{result.height:,} customers written to {output}", highlight=False)


def parameters_text(fitted: dict[str, float]) -> str:
    """A model's parameters to three figures, its log-likelihood after them.

    Examples
    --------
    >>> parameters_text({"r": 0.8258, "alpha": 9.8314, "a": 0.008890, "b": 19.82,
    ...                  "log_likelihood": -37645.59})
    'r 0.826, alpha 9.83, a 0.00889, b 19.8 · log-likelihood -37,645.6'
    """
    shown = ", ".join(f"{k} {v:.3g}" for k, v in fitted.items() if k != "log_likelihood")
    likelihood = fitted.get("log_likelihood")
    return shown + ("" if likelihood is None else f" · log-likelihood {likelihood:,.1f}")


def _groups_table(payload: dict[str, Any], customers: int) -> Any:
    """The predictive segments and the value tiers: customers and share of each."""
    from rich.table import Table

    from segwise.models.tiers import TIER_NAMES

    table = Table(title=f"{customers:,} customers", title_justify="left")
    for column in ("", "group", "customers", "share"):
        table.add_column(column, justify="right" if column in {"customers", "share"} else "left")
    segments = sorted(payload["segments"].items(), key=lambda item: -item[1])
    order = {name: rank for rank, name in enumerate(TIER_NAMES)}
    tiers = sorted(payload["tiers"].items(), key=lambda item: order.get(item[0], len(order)))
    for kind, groups in (("segment", segments), ("value tier", tiers)):
        for k, (name, size) in enumerate(groups):
            share = f"{size / customers:.1%}" if customers else ""
            table.add_row(kind if k == 0 else "", str(name), f"{size:,}", share)
    return table


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
