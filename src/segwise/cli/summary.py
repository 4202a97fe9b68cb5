"""``segwise summary FILE …``: the BTYD summary (lifetimes / pymc-marketing compatible)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, print_rows, progress, stdout, user_errors

if TYPE_CHECKING:
    from segwise.io.options import SourceOptions


@user_errors
@opt.with_source_options
def summary(
    files: opt.TransactionFiles,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Observation end (YYYY-MM-DD, whole day); default: the last purchase."
        ),
    ] = None,
    time_unit: Annotated[
        str,
        typer.Option(
            "--time-unit",
            help="D (days), W (days ÷ 7 on a daily grid, as in CDNOW), or calendar isoweek, month.",
        ),
    ] = "D",
    time_scaler: Annotated[
        float, typer.Option("--time-scaler", help="A further divisor of recency and T.")
    ] = 1.0,
    include_first_transaction: Annotated[
        bool, typer.Option("--include-first-transaction", help="Count the first purchase too.")
    ] = False,
    calibration_end: Annotated[
        str | None,
        typer.Option("--calibration-end", help="Split: last day of the calibration period."),
    ] = None,
    holdout_end: Annotated[
        str | None,
        typer.Option("--holdout-end", help="Split: last day of the holdout (default: --as-of)."),
    ] = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
    *,
    source: SourceOptions,
) -> None:
    """Per customer: frequency, recency, T, monetary_value, as lifetimes and pymc-marketing.

    Same-day purchases are merged; frequency counts repeat purchase days;
    recency and T are ages from the first purchase. With --calibration-end the
    output is lifetimes' calibration/holdout table (frequency_cal, ...,
    frequency_holdout, monetary_value_holdout, duration_holdout).
    """
    import polars as pl

    from segwise.cli.data import read_purchases
    from segwise.engine.frames import to_lazy
    from segwise.features import calibration_and_holdout_data, rfm_summary
    from segwise.io.writers import write_table

    with progress("Reading") as step:
        step("Reading transactions")
        purchases = read_purchases(files, **source.keywords())
        step("Summarising")
        shared: dict[str, Any] = {
            "time_unit": time_unit,
            "time_scaler": time_scaler,
            "monetary_value_col": "amount",
            "include_first_transaction": include_first_transaction,
        }
        result = (
            rfm_summary(purchases, observation_period_end=as_of, **shared)
            if calibration_end is None
            else calibration_and_holdout_data(
                purchases,
                calibration_period_end=calibration_end,
                observation_period_end=holdout_end or as_of,
                **shared,
            )
        )
        frame: pl.DataFrame = (
            to_lazy(result).collect(backend="polars").to_native().sort("customer_id")
        )
        if output is not None:
            step(f"Writing {output}")
            write_table(frame, output)
    console = stdout()
    if as_json:
        console.print_json(json_text(frame.to_dicts()))
    elif output is None:
        print_rows(console, frame)
    else:
        console.print(f"{frame.height:,} customers written to {output}", highlight=False)
