"""``segwise experiment plan|assign``: size a test, then split a segment into its variants."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import cli_actor, json_text, stdout, user_errors
from segwise.cli.project import AllowOutside, Config

experiment_app = typer.Typer(
    name="experiment",
    help="Experiments within segments: plan the sample size, assign the variants.",
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


@experiment_app.command("assign")
@user_errors
def assign(
    config: Config,
    experiment: Annotated[str, typer.Argument(help="The experiment's name.", show_default=False)],
    variants: Annotated[
        str, typer.Option("--variants", help="Variant names, control first: A,B.")
    ] = "A,B",
    split: Annotated[
        str, typer.Option("--split", help="Shares per variant, in order: 50,50 or 90,10.")
    ] = "",
    segment: Annotated[
        str | None,
        typer.Option("--segment", help="Only this segment (segmentation/segment or its name)."),
    ] = None,
    segmentation: Annotated[
        str | None, typer.Option("--segmentation", help="When the name is in several.")
    ] = None,
    salt: Annotated[
        str | None,
        typer.Option("--salt", help="Hash salt (default: the experiment's name)."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="The exposure file (csv/parquet); else CSV on stdout."),
    ] = None,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Give each customer a variant: SHA-256 of salt and id, the same on every run."""
    import sys

    from segwise.exceptions import ConfigError
    from segwise.io.writers import write_table
    from segwise.project import Project
    from segwise.project.experiments import assign_experiment
    from segwise.store import audit

    names = [v.strip() for v in variants.split(",") if v.strip()]
    shares = list(opt.shares(split, "--split", "50,50")) if split else [1.0] * len(names)
    if output is None and as_json:
        raise ConfigError("--json prints a summary of a file: add -o FILE", hint="or drop --json")
    project = Project.from_yaml(config, allow_outside=allow_outside)
    found = assign_experiment(
        project, experiment, names, shares, segment=segment, segmentation=segmentation, salt=salt
    )
    detail = {k: v for k, v in found.summary().items() if k != "experiment"}
    audit.record(project.store, cli_actor(), "experiment.assign", experiment, detail=detail)
    if output is None:
        sys.stdout.write(found.table.write_csv())
        return
    write_table(found.table, output)
    summary = found.summary()
    if as_json:
        typer.echo(json_text({**summary, "output": str(output)}))
        return
    counts = ", ".join(f"{v['variant']} {v['customers']:,}" for v in summary["variants"])
    stdout().print(
        f"{summary['customers']:,} customers of {found.population} (run {found.run_id}) "
        f"assigned: {counts}; written to {output}",
        highlight=False,
    )
