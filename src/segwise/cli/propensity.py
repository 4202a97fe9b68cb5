"""``segwise propensity FILE … --outcome churn --horizon 90``: scores, tiers and a backtest."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, progress, stdout, user_errors

if TYPE_CHECKING:
    from segwise.io.options import SourceOptions


@user_errors
@opt.with_source_options
def propensity(
    files: opt.TransactionFiles,
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="churn (no purchase in the window), purchase, or a rule over the window's "
            'customer features (e.g. "share_garden > 0").',
        ),
    ] = "churn",
    horizon: Annotated[
        int, typer.Option("--horizon", help="Days after each cut-off the outcome is read from.")
    ] = 90,
    cutoffs: Annotated[int, typer.Option("--cutoffs", help="Training cut-offs.")] = 8,
    step_days: Annotated[int, typer.Option("--step", help="Days between training cut-offs.")] = 45,
    tiers: Annotated[
        str, typer.Option("--tiers", help="Shares of the top tiers by score, e.g. 0.2,0.5.")
    ] = "0.2,0.5",
    as_of: opt.AsOf = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    source: SourceOptions,
) -> None:
    """Predict an outcome over the next days; backtest it; tier every customer by its chance.

    -o writes customer_id, propensity, segment and the customer's top reasons. The backtest
    (on the latest complete window) is set against recency and BG/NBD's P(alive).
    """
    import polars as pl

    import segwise as sw
    from segwise.io.writers import write_table

    shares = opt.shares(tiers)
    with progress("Propensity") as step:
        step("Reading transactions")
        orders = sw.read_transactions(files, **source.keywords())
        orders.reports()
        step("Learning from past cut-offs and backtesting")
        fitted = sw.PropensitySegmenter(
            outcome, horizon, cutoffs=cutoffs, step_days=step_days, tiers=shares
        ).fit(orders, as_of=as_of)
        if output is not None:
            step(f"Writing {output}")
            reasons = fitted.reasons().select("customer_id", pl.col("reasons").list.join("; "))
            write_table(fitted.segment().join(reasons, on="customer_id", how="left"), output)
    _show(fitted, output, as_json=as_json)


def _show(fitted: Any, output: Path | None, *, as_json: bool) -> None:
    from rich.table import Table

    found = fitted.backtest_
    sizes = fitted.segment().group_by("segment").len().sort("len")
    payload = {
        "outcome": fitted.outcome_.name,
        "rule": fitted.outcome_.rule,
        "horizon_days": fitted.outcome_.horizon_days,
        "cutoffs": {k: [d.isoformat() for d in v] for k, v in fitted.cutoffs_.items()},
        "backtest": found.to_dict(),
        "importances": fitted.importances_,
        "thresholds": fitted.thresholds_,
        "segments": dict(sizes.iter_rows()),
        "warnings": fitted.warnings_,
    }
    console = stdout()
    if as_json:
        console.print_json(json_text(payload))
        return
    palive = f", BG/NBD P(alive) {found.palive_auc:.3f}" if found.palive_auc is not None else ""
    console.print(
        f"{fitted.outcome_.name} in the next {fitted.outcome_.horizon_days} days · backtest "
        f"from {fitted.cutoffs_['test'][0]} on {found.rows:,} customers: AUC {found.auc:.3f} "
        f"(recency {found.baseline_auc:.3f}{palive}), PR-AUC {found.pr_auc:.3f}, calibration "
        f"error {found.ece:.3f}",
        highlight=False,
    )
    table = Table(title="tiers as of the last day", title_justify="left")
    for column in ("segment", "customers", "lowest score"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for name, count in sizes.iter_rows():
        table.add_row(name, f"{count:,}", f"{fitted.thresholds_.get(name, 0):.2f}")
    console.print(table)
    for note in fitted.warnings_:
        console.print(f"note: {note}", highlight=False)
    if output is not None:
        console.print(f"{fitted.scores_.height:,} customers written to {output}", highlight=False)
