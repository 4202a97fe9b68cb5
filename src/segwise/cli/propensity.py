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
    explain: Annotated[
        list[str] | None,
        typer.Option(
            "--explain",
            help="A customer id (repeatable): their score, tier and the features that raise it.",
        ),
    ] = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    source: SourceOptions,
) -> None:
    """Predict an outcome over the next days; backtest it; tier every customer by its chance.

    -o writes customer_id, propensity, segment and the customer's top reasons; --explain ID
    shows one customer's. The backtest (on the latest complete window) is set against
    recency and BG/NBD's P(alive).
    """
    import polars as pl

    import segwise as sw
    from segwise.cli.data import checked
    from segwise.io.writers import write_table

    shares = opt.shares(tiers)
    with progress("Propensity") as step:
        step("Reading transactions")
        orders = checked(sw.read_transactions(files, **source.keywords()))
        step("Learning from past cut-offs and backtesting")
        fitted = sw.PropensitySegmenter(
            outcome, horizon, cutoffs=cutoffs, step_days=step_days, tiers=shares
        ).fit(orders, as_of=as_of)
        reasons = fitted.reasons() if output is not None or explain else None
        if output is not None and reasons is not None:
            step(f"Writing {output}")
            joined = reasons.select("customer_id", pl.col("reasons").list.join("; "))
            write_table(fitted.segment().join(joined, on="customer_id", how="left"), output)
    explained = _explained(fitted, reasons, explain or [])
    _show(fitted, output, explained, as_json=as_json)


def _explained(fitted: Any, reasons: Any, customers: list[str]) -> list[dict[str, Any]]:
    """The asked customers' score, tier and reasons; an unknown id is a one-line error."""
    from segwise.exceptions import ConfigError

    if not customers:
        return []
    found = reasons.join(fitted.segment().select("customer_id", "segment"), on="customer_id")
    rows = {str(r["customer_id"]): r for r in found.iter_rows(named=True)}
    missing = [c for c in customers if c not in rows]
    if missing:
        raise ConfigError(
            f"--explain: customer '{missing[0]}' has no purchase on or before the last day",
            hint="only customers who had bought are scored; check the id",
        )
    return [rows[c] for c in customers]


def _show(
    fitted: Any, output: Path | None, explained: list[dict[str, Any]], *, as_json: bool
) -> None:
    from rich.table import Table

    from segwise.models.propensity_backtest import drivers_text
    from segwise.segmenters.propensity_tiers import did

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
        "explained": explained,
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
    if drivers := drivers_text(fitted.importances_):
        console.print(f"the score {drivers}", highlight=False)
    table = Table(title=f"tiers as of {fitted.cutoffs_['today'][0]}", title_justify="left")
    tested_column = f"backtest: {did(fitted.outcome_.name)}"
    for column in ("segment", "customers", "lowest score", tested_column, "lift"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    tested = {row["segment"]: row for row in found.tiers}
    for name, count in sizes.iter_rows():
        seen = tested.get(name)
        rate = "" if seen is None else f"{seen['rate']:.0%}"
        lift = "" if seen is None else f"×{seen['lift']:.2f}"
        table.add_row(name, f"{count:,}", f"{fitted.thresholds_.get(name, 0):.2f}", rate, lift)
    console.print(table)
    for note in fitted.warnings_:
        console.print(f"note: {note}", highlight=False)
    for row in explained:
        reasons = "; ".join(row["reasons"]) or "nothing stands out: close to the typical customer"
        console.print(
            f"{row['customer_id']}: {row['propensity']:.2f} · {row['segment']} · {reasons}",
            highlight=False,
        )
    if output is not None:
        console.print(f"{fitted.scores_.height:,} customers written to {output}", highlight=False)
