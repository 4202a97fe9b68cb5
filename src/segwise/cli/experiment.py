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
    destination: Annotated[
        str | None,
        typer.Option(
            "--destination",
            help="Send each variant to this destination as an audience; -o then writes who "
            "it holds.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --destination: say what would be sent.")
    ] = False,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Give each customer a variant: SHA-256 of salt and id, the same on every run."""
    import sys

    import polars as pl

    from segwise.exceptions import ConfigError
    from segwise.io.writers import write_table
    from segwise.project import Project
    from segwise.project.experiments import assign_experiment, exposure_log
    from segwise.store import audit

    names = [v.strip() for v in variants.split(",") if v.strip()]
    shares = list(opt.shares(split, "--split", "50,50")) if split else [1.0] * len(names)
    if output is None and as_json and destination is None:
        raise ConfigError("--json prints a summary of a file: add -o FILE", hint="or drop --json")
    if dry_run and destination is None:
        raise ConfigError("--dry-run is for --destination", hint="add --destination NAME")
    project = Project.from_yaml(config, allow_outside=allow_outside)
    found = assign_experiment(
        project, experiment, names, shares, segment=segment, segmentation=segmentation, salt=salt
    )
    detail = {k: v for k, v in found.summary().items() if k != "experiment"}
    sent = None
    if destination is not None:
        from dataclasses import replace

        from segwise.project.sync import send_assignment

        sent, held = send_assignment(project, found, destination, dry_run=dry_run)
        found, detail["destination"] = replace(found, table=held), destination
    log = exposure_log(project, found.table)  # ids as written, also with pseudonyms
    # Text files get whole seconds: an exposure time needs no more, and reads at a glance.
    as_text = log.with_columns(pl.col("timestamp").dt.strftime("%Y-%m-%d %H:%M:%S"))
    if output is not None and not dry_run:
        write_table(log if output.suffix.lower() == ".parquet" else as_text, output)
        audit.record_written(project.store, cli_actor(), "experiment.assign", experiment, output,
                             **detail)  # fmt: skip
    elif not dry_run:
        audit.record(project.store, cli_actor(), "experiment.assign", experiment, detail=detail)
    if output is None and sent is None:
        sys.stdout.write(as_text.write_csv())
        return
    _said(found, sent, None if dry_run else output, as_json=as_json)


def _said(found: Any, sent: Any, output: Path | None, *, as_json: bool) -> None:
    """The assignment's counts, the destination's sync, the file written; exit 1 if parked."""
    from segwise.cli.activation import sync_table
    from segwise.cli.console import stderr

    summary = found.summary()
    if as_json:
        typer.echo(json_text({**summary, "output": None if output is None else str(output),
                              "sync": None if sent is None else sent.to_dict()}))  # fmt: skip
    else:
        if sent is not None:
            stdout().print(sync_table([sent], dry_run=sent.status == "planned"))
        counts = ", ".join(f"{v['variant']} {v['customers']:,}" for v in summary["variants"])
        verb = "would be held" if sent is not None and sent.status == "planned" else "held"
        held = "" if sent is None else f", {verb} by {sent.plan.destination}"
        written = "" if output is None else f"; written to {output}"
        stdout().print(
            f"{summary['customers']:,} customers of {found.population} (run {found.run_id}) "
            f"assigned{held}: {counts}{written}",
            highlight=False,
        )
    if sent is not None and sent.failed_batches:
        stderr().print(
            f"error: {sent.failed_batches} webhook batches could not be delivered to "
            f"{sent.plan.destination}; they are kept and the next sync sends them first",
            highlight=False,
        )
        raise typer.Exit(1)


@experiment_app.command("analyze")
@user_errors
def analyze(
    config: Config,
    experiment: Annotated[str, typer.Argument(help="The experiment's name.", show_default=False)],
    segmentation: Annotated[
        str | None,
        typer.Option("--segmentation", help="Segments to read within (default: the first)."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            help="conversion, revenue, orders or an outcome (repeatable; default: conversion "
            "and revenue, or every outcome metric without orders).",
        ),
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="Outcomes counted this long after exposure.")
    ] = "30d",
    pre_period: Annotated[
        str, typer.Option("--pre-period", help="CUPED's pre-period before exposure.")
    ] = "14d",
    control: Annotated[
        str | None, typer.Option("--control", help="The control variant (default: control, A).")
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="The designed shares, in variant-name order.")
    ] = None,
    correction: Annotated[
        str, typer.Option("--correction", help="holm (default) or bh (Benjamini-Hochberg).")
    ] = "holm",
    no_cuped: Annotated[bool, typer.Option("--no-cuped", help="Compare raw values.")] = False,
    bayes: Annotated[
        bool,
        typer.Option("--bayes", help="Add the chance to beat control and the expected loss."),
    ] = False,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not keep this readout (segwise experiments).")
    ] = False,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Each variant against control, per segment held at exposure, with corrected p-values."""
    from segwise._validation import check_choice
    from segwise.project import Project
    from segwise.project.experiment_analysis import analyze_experiment

    check_choice("--correction", correction, ["holm", "bh"])
    project = Project.from_yaml(config, allow_outside=allow_outside)
    shares = None if split is None else list(opt.shares(split, "--split", "50,50"))
    found = analyze_experiment(
        project,
        experiment,
        segmentation=segmentation,
        metrics=metric or None,
        window=days(window, "--window"),
        pre_period=days(pre_period, "--pre-period"),
        control=control,
        split=shares,
        correction=correction,  # type: ignore[arg-type]
        use_cuped=not no_cuped,
        keep=not no_store,
        bayes=bayes,
    )
    if as_json:
        typer.echo(json_text(found.to_dict()))
        return
    _show_readout(found)


def days(text: str, option: str) -> Any:
    """``30d`` (or ``30``) as a timedelta, or a one-line error naming the option."""
    from datetime import timedelta

    from segwise.exceptions import ConfigError

    number = text.strip().lower().removesuffix("d")
    if not number.isdigit() or int(number) == 0:
        raise ConfigError(f"{option} '{text}' is not a number of days", hint=f"e.g. {option} 30d")
    return timedelta(days=int(number))


def _show_readout(found: Any) -> None:
    """The verdicts first, then the numbers per segment."""
    console = stdout()
    srm = found.srm
    console.print(
        f"experiment {found.experiment}: {', '.join(found.variants)} (control: {found.control})",
        highlight=False,
    )
    if srm.flagged:
        console.print(
            f"[bold red]warning:[/] the split does not match the design (sample-ratio mismatch, "
            f"p = {srm.p_value:.2g}): assignment or logging is broken; do not trust the lifts"
        )
    for segment, verdict in found.verdicts.items():
        console.print(f"· {segment}: {verdict}", highlight=False)
    console.print(_readout_table(found))
    for test in found.heterogeneity:
        if test["p_value"] is not None and test["p_value"] < 0.05:
            console.print(
                f"The effect of {test['variant']} on {test['metric']} differs across segments "
                f"(Cochran's Q p = {test['p_value']:.2g}, I² = {test['i_squared']:.0%}). Segments "
                "are not randomised: it works differently in them, not necessarily because of "
                "what defines them.",
                highlight=False,
            )
    for note in found.notes:
        console.print(f"note: {note}", highlight=False)


def _readout_table(found: Any) -> Any:
    """One row per segment, variant and metric."""
    from rich.table import Table

    several = len(found.variants) > 2
    bayesian = any(r.bayes is not None for r in found.results)
    table = Table(title_justify="left", title=f"p adjusted by {found.correction}; * significant")
    columns = [
        "segment",
        *(["variant"] if several else []),
        "metric",
        "customers",
        "control",
        found.variants[-1] if not several else "variant",
        "lift [95% CI] (pp: shares)",
        "p adjusted",
        *(["P(beat control)", "expected loss"] if bayesian else []),
    ]
    for column in columns:
        table.add_column(
            column, justify="left" if column in ("segment", "variant", "metric") else "right"
        )
    for result in found.results:
        row = result.to_dict()
        share = row["kind"] == "binary"
        cells = [
            row["segment"],
            *([row["variant"]] if several else []),
            row["metric"] + (" *" if row["significant"] else ""),
            f"{row['n'] + row['control_n']:,}",
            _value(row["control_mean"], share),
            _value(row["mean"], share),
            f"{_lift(row['lift'], share)} [{_lift(row['ci_low'], share)}, "
            f"{_lift(row['ci_high'], share)}]",
            _p(row["p_adjusted"]),
        ]
        if bayesian:
            beats, loss = row["prob_beat_control"], row["expected_loss"]
            cells += [
                "-" if beats is None else f"{beats:.1%}",
                "-" if loss is None else _lift(loss, share).lstrip("+"),
            ]
        table.add_row(*cells)
    return table


def _value(value: float | None, share: bool) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if share else f"{value:,.2f}"


def _lift(value: float | None, share: bool) -> str:
    if value is None:
        return "-"
    return f"{value * 100:+.1f}" if share else f"{value:+,.2f}"


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"
