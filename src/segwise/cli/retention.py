"""``segwise retention COUNTS``: a subscription cohort's retention, fitted and projected (sBG)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, print_rows, stdout, user_errors


@user_errors
def retention(
    counts: Annotated[
        str,
        typer.Argument(
            help="Customers of one cohort still subscribed at the start of each period, the "
            "first being its size: 1000,869,743,653 or a CSV/Parquet file of them."
        ),
    ],
    column: Annotated[
        str | None,
        typer.Option("--column", help="The file's column of counts (default: its only column)."),
    ] = None,
    periods: Annotated[
        int,
        typer.Option("--periods", min=1, help="Project this many periods from the start."),
    ] = 12,
    discount: Annotated[
        float | None,
        typer.Option(
            "--discount",
            help="Discount rate per period: adds each tenure's discounted expected residual "
            "lifetime (DERL, in payments).",
        ),
    ] = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
) -> None:
    """Fit the shifted-beta-geometric model to a cohort's survivors; project its retention.

    Retention rises with tenure (those likely to cancel leave first), which a constant
    rate misses: the table sets the fitted curve against the counts and goes on beyond.
    """
    import segwise as sw
    from segwise.io.writers import write_table

    alive = _counts(counts, column)
    model = sw.ShiftedBetaGeoModel().fit(alive)
    table = _projection(model, alive, max(periods, alive.size - 1), discount)
    if output is not None:
        write_table(table, output)
    payload = {
        "model": "sBG",
        "cohort": int(alive[0]),
        "observed_periods": int(alive.size - 1),
        "params": model.params_,
        "standard_errors": model.standard_errors_,
        "confidence_intervals": model.confidence_intervals_,
        "log_likelihood": model.log_likelihood_,
        "discount": discount,
        "periods": table.to_dicts(),
    }
    console = stdout()
    if as_json:
        console.print_json(json_text(payload))
        return
    alpha, beta = model.params_["alpha"], model.params_["beta"]
    console.print(
        f"sBG on a cohort of {int(alive[0]):,} over {alive.size - 1} periods: alpha {alpha:.3f} "
        f"(± {model.standard_errors_['alpha']:.3f}), beta {beta:.3f} "
        f"(± {model.standard_errors_['beta']:.3f}), log-likelihood {model.log_likelihood_:.2f}",
        highlight=False,
    )
    print_rows(console, table, rows=table.height, noun="periods")
    if output is not None:
        console.print(f"{table.height:,} periods written to {output}", highlight=False)


def _counts(counts: str, column: str | None) -> Any:
    """The counts given inline or in a file, as numbers (checked by the model)."""
    import numpy as np
    import polars as pl

    from segwise.exceptions import ConfigError

    if Path(counts).is_file():
        frame = _read_table(Path(counts))
        names = frame.columns
        if column is None and len(names) != 1:
            raise ConfigError(
                f"{counts}: {len(names)} columns; say which holds the counts",
                hint=f"add --column (one of: {', '.join(names)})",
            )
        name = column or names[0]
        if name not in names:
            raise ConfigError(
                f"{counts}: no column '{name}'", hint=f"use one of: {', '.join(names)}"
            )
        values = frame[name].cast(pl.Float64, strict=False)
        if values.null_count():
            row = int(values.is_null().arg_max() or 0)
            raise ConfigError(f"{counts}, row {row + 1}: '{frame[name][row]}' is not a count")
        return values.to_numpy()
    try:
        return np.array([float(part) for part in counts.split(",")])
    except ValueError:
        raise ConfigError(
            f"'{counts}' is neither a file nor comma-separated counts",
            hint="e.g. segwise retention 1000,869,743,653",
        ) from None


def _read_table(path: Path) -> Any:
    import polars as pl

    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path)
    return pl.read_csv(path, infer_schema=False)


def _projection(model: Any, alive: Any, periods: int, discount: float | None) -> Any:
    """Per period: the counts (where observed), the fitted survivors, retention, DERL."""
    import numpy as np
    import polars as pl

    t = np.arange(periods + 1)
    blank = np.full(t.size - alive.size, np.nan)
    kept = np.divide(
        alive[1:], alive[:-1], out=np.full(alive.size - 1, np.nan), where=alive[:-1] > 0
    )
    table = pl.DataFrame(
        {
            "period": t,
            "alive": np.r_[alive, blank],
            "expected_alive": model.expected_survivors(periods),
            "survival": model.survival(t),
            "retention": np.r_[np.nan, kept, blank],
            "expected_retention": np.r_[np.nan, model.retention_rate(t[1:])],
        }
    ).fill_nan(None)
    if discount is not None:
        derl = [model.discounted_residual_lifetime(int(n), discount) for n in t]
        table = table.with_columns(pl.Series("derl", derl))
    return table
