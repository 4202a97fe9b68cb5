"""``segwise experiment plan``: how many customers a test needs, and which segments have them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, stdout, user_errors

experiment_app = typer.Typer(
    name="experiment",
    help="Experiments within segments: plan the sample size.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@experiment_app.command("plan")
@user_errors
def plan(
    baseline: Annotated[
        float,
        typer.Option("--baseline", help="Today's conversion rate (0.05), or mean with --std."),
    ],
    mde: Annotated[
        float,
        typer.Option("--mde", help="Smallest absolute lift worth detecting (0.01 = +1 pp)."),
    ],
    std: Annotated[
        float | None,
        typer.Option("--std", help="Standard deviation of a continuous metric (e.g. revenue)."),
    ] = None,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level, two-sided.")] = 0.05,
    power: Annotated[float, typer.Option("--power", help="Chance to detect the MDE.")] = 0.8,
    ratio: Annotated[
        float, typer.Option("--ratio", help="Treatment customers per control customer.")
    ] = 1.0,
    sizes_from: Annotated[
        Path | None,
        typer.Option(
            "--segment-sizes-from",
            help="A project (segwise.yaml): say which segments of its latest run are large enough.",
        ),
    ] = None,
    segmentation: Annotated[
        str | None,
        typer.Option("--segmentation", help="Only this segmentation's segments."),
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """Customers needed per arm (normal approximation, both tails, as statsmodels solves it)."""
    from segwise.measure.design import detectable
    from segwise.measure.design import plan as plan_design

    design = plan_design(baseline, mde, std=std, alpha=alpha, power=power, ratio=ratio)
    segments = [] if sizes_from is None else _segments(sizes_from, segmentation)
    rows = [
        {
            **segment,
            "enough": segment["customers"] >= design.n_total,
            "detectable_lift": _number(detectable(design, segment["customers"])),
        }
        for segment in segments
    ]
    if as_json:
        typer.echo(json_text({**design.to_dict(), "segments": rows}))
        return
    _show(design, rows)


def _segments(config: Path, segmentation: str | None) -> list[dict[str, Any]]:
    from segwise.exceptions import ConfigError
    from segwise.project import open_workspace

    sizes = open_workspace(config).segments()
    if segmentation is not None:
        names = sorted(set(sizes["segmentation"].to_list()))
        if segmentation not in names:
            raise ConfigError(
                f"no segmentation '{segmentation}' in the latest run",
                hint=f"use one of: {', '.join(names)}",
            )
        sizes = sizes.filter(segmentation=segmentation)
    return [
        {"segmentation": row["segmentation"], "segment": row["segment"], "customers": row["size"]}
        for row in sizes.iter_rows(named=True)
    ]


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


def _show(design: Any, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    console = stdout()
    share = design.std is None
    change = (
        f"{design.baseline:.1%} → {design.baseline + design.mde:.1%} ({design.mde * 100:+.2g} pp)"
        if share
        else f"a mean of {design.baseline:g} → {design.baseline + design.mde:g} "
        f"(d = {design.effect_size:.3f})"
    )
    console.print(
        f"{design.n_per_arm:,} customers per arm ({design.n_total:,} in all) to detect "
        f"{change} with {design.power:.0%} power at alpha = {design.alpha:g}, two-sided."
    )
    if not rows:
        return
    table = Table(title="segments of the latest run", title_justify="left")
    for column in ("segmentation", "segment", "customers", "large enough", "smallest lift"):
        table.add_column(column, justify="right" if column == "customers" else "left")
    for row in rows:
        lift = row["detectable_lift"]
        shown = "-" if lift is None else (f"{lift * 100:+.2g} pp" if share else f"{lift:+.3g}")
        table.add_row(
            row["segmentation"],
            row["segment"],
            f"{row['customers']:,}",
            "yes" if row["enough"] else "no",
            shown,
        )
    console.print(table)
