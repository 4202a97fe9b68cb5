"""``segwise kpis``, ``experiments`` and ``advise``: how segments did, what worked, what to fix."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import json_text, stdout, user_errors
from segwise.cli.project import AllowOutside, Config

#: The KPI columns of the table, with how each is shown.
_COLUMNS = (
    ("conversion", "conversion", "share"),
    ("revenue_per_customer", "revenue / customer", "money"),
    ("aov", "AOV", "money"),
    ("repeat_rate", "repeat rate", "share"),
)


@user_errors
def kpis(
    config: Config,
    segmentation: Annotated[
        str | None,
        typer.Option("--segmentation", help="The segmentation to measure (default: the first)."),
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="Orders counted this long after each run's date.")
    ] = "30d",
    run_id: Annotated[
        list[int] | None, typer.Option("--run", help="Only this run (repeatable).")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Every run's KPIs: .json, or rows in .csv/.parquet."),
    ] = None,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Conversion, revenue per customer, AOV, repeat rate, churn and retention, per segment."""
    from segwise.cli.experiment import days
    from segwise.project import Project
    from segwise.project.kpis import kpis_by_segment, kpis_payload

    project = Project.from_yaml(config, allow_outside=allow_outside)
    name, found = kpis_by_segment(
        project, segmentation=segmentation, window=days(window, "--window"), runs=run_id
    )
    payload = kpis_payload(name, found)
    if output is not None:
        _write(payload, output)
    if as_json:
        typer.echo(json_text(payload))
        return
    _show(name, found, project.config.currency)
    if output is not None:
        stdout().print(f"KPIs written to {output}", highlight=False)


def _write(payload: dict[str, Any], output: Path) -> None:
    """JSON as printed, or one row per run, segment and KPI."""
    import polars as pl

    from segwise.io.writers import write_table, write_text

    if output.suffix.lower() == ".json":
        write_text(json_text(payload, indent=2), output)
        return
    rows = [
        {
            "run_id": run["run_id"],
            "as_of": run["as_of"],
            "segment": segment["segment"],
            "customers": segment["customers"],
            "kpi": kpi,
            **{key: values.get(key) for key in ("value", "ci_low", "ci_high", "lift")},
        }
        for run in payload["runs"]
        for segment in run["segments"]
        for kpi, values in _estimates(segment)
    ]
    write_table(pl.DataFrame(rows), output)


def _estimates(segment: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A segment's KPIs as rows: each estimate, the holdout lifts, realised vs predicted."""
    found = [
        (kpi, values)
        for kpi, values in segment.items()
        if isinstance(values, dict) and "value" in values
    ]
    for metric in ("conversion", "revenue_per_customer"):
        lift = (segment.get("holdout") or {}).get(metric)
        if lift:
            found.append((f"{metric}_targeted_minus_held_out", {**lift, "value": lift["lift"]}))
    if segment.get("top_customer_share") is not None:
        found.append(("top_customer_revenue_share", {"value": segment["top_customer_share"]}))
    if segment.get("top_return_share") is not None:
        found.append(("top_customer_return_share", {"value": segment["top_return_share"]}))
    predicted = segment.get("predicted")
    if predicted:
        found.append(
            ("predicted_revenue_per_customer", {"value": predicted["revenue_per_customer"]})
        )
        if predicted["realised_to_predicted"]:
            found.append(("realised_to_predicted_revenue", predicted["realised_to_predicted"]))
    return found


def _show(name: str, found: list[Any], currency: str | None) -> None:
    from rich.table import Table

    from segwise.measure.kpis import concentration_note
    from segwise.profiling.amounts import in_currency
    from segwise.project.kpis import judged, no_orders_note, open_window_note

    console = stdout()
    measured = [r for r in found if r.observed_days > 0]
    run = judged(found)
    if run is None:
        console.print(f"warning: {no_orders_note(found)}", highlight=False)
        return
    partial = run.observed_days < run.window_days
    title = f"{name}, run {run.run_id} (as of {run.as_of}): the {run.window_days} days after" + (
        f" (only {run.observed_days:g} days of orders so far)" if partial else ""
    )
    table = Table(title=title, title_justify="left")
    table.add_column("segment")
    table.add_column("customers", justify="right")
    for _, label, kind in _COLUMNS:
        table.add_column(
            in_currency(label, currency) if kind == "money" else label, justify="right"
        )
    table.add_column("conversion vs everyone", justify="right")
    for segment in run.segments:
        cells = [_shown(segment.kpis[key], kind) for key, _, kind in _COLUMNS]
        lift = segment.kpis["conversion"].lift
        table.add_row(
            segment.segment,
            f"{segment.customers:,}",
            *cells,
            "-" if math.isnan(lift) else f"x{lift:.2f}",
        )
    console.print(table)
    money = f"; amounts in {currency}" if currency else ""
    console.print(f"[95% intervals in brackets; churn = 1 - conversion{money}]", highlight=False)
    note = open_window_note(found, run)
    if note:
        console.print(f"note: {note}", highlight=False)
    for segment in run.segments:
        if segment.concentrated:
            console.print(f"note: {concentration_note(segment)}", highlight=False)
    _incremental(run)
    _against_prediction(run)
    if len(measured) > 1:
        _trend(measured)


def _incremental(run: Any) -> None:
    """What being targeted added over the standing holdout, per segment."""
    console = stdout()
    for segment in run.segments:
        lift = (segment.holdout or {}).get("conversion")
        if not lift or lift["lift"] is None or lift["ci_low"] is None:
            continue
        console.print(
            f"{segment.segment}: targeted {lift['targeted']:.1%} against held out "
            f"{lift['held_out']:.1%} ({segment.holdout['targeted']:,} vs "
            f"{segment.holdout['held_out']:,}): {lift['lift'] * 100:+.1f} pp "
            f"[{lift['ci_low'] * 100:+.1f}, {lift['ci_high'] * 100:+.1f}], "
            f"p = {lift['p_value']:.2g}",
            highlight=False,
        )


def _against_prediction(run: Any) -> None:
    """Realised revenue per customer against what the run's model predicted (CLV)."""
    from segwise.measure.kpis import prediction_note

    console = stdout()
    for segment in run.segments:
        if segment.predicted is None:
            continue
        predicted = segment.predicted["revenue_per_customer"]
        realised = segment.kpis["revenue_per_customer"]
        ratio = segment.predicted["realised_to_predicted"]
        line = (
            f"{segment.segment}: predicted {predicted:,.2f} per customer over "
            f"{run.window_days} days, realised {_shown(realised, 'money')}"
        )
        if ratio is None:
            line += f" so far ({run.observed_days:g} of {run.window_days} days observed)"
        else:
            line += f": x{ratio['value']:.2f} [{ratio['ci_low']:.2f}, {ratio['ci_high']:.2f}]"
        console.print(line, highlight=False)
    note = prediction_note(run.segments, run.window_days)
    if note is not None:
        console.print(f"note: {note}", highlight=False)


def _shown(estimate: Any, kind: str) -> str:
    if math.isnan(estimate.value):  # nothing to measure
        return "-"
    if kind == "share":
        return f"{estimate.value:.1%} [{estimate.ci_low:.1%}, {estimate.ci_high:.1%}]"
    return f"{estimate.value:,.2f} [{estimate.ci_low:,.2f}, {estimate.ci_high:,.2f}]"


#: Characters a run's column takes in the trend: "(2011-10-31)", its padding and border.
_RUN_COLUMN = 15


def _trend(measured: list[Any]) -> None:
    from rich.table import Table

    console = stdout()
    segments = dict.fromkeys(s.segment for run in measured for s in run.segments)
    names = min(max(len("segment"), *(len(s) for s in segments)), 24) + 4
    # Two years of monthly runs do not fit a terminal: the latest that do, and where the rest are.
    fits = max(2, (console.width - names) // _RUN_COLUMN)
    shown = measured[-fits:]
    title = "conversion by run"
    if len(shown) < len(measured):
        title += (
            f": the latest {len(shown)} of {len(measured)} runs (--run picks others; --json "
            "and -o hold every run)"
        )
    table = Table(title=title, title_justify="left")
    table.add_column("segment", no_wrap=True)
    for run in shown:
        # A window still open reads as a collapse beside full ones unless it says so.
        seen = (
            f", {run.observed_days:g} of {run.window_days} days"
            if run.observed_days < run.window_days
            else ""
        )
        table.add_column(f"run {run.run_id} ({run.as_of}{seen})", justify="right")
    for segment in segments:
        cells = []
        for run in shown:
            held = next((s for s in run.segments if s.segment == segment), None)
            cells.append("-" if held is None else f"{held.kpis['conversion'].value:.1%}")
        table.add_row(segment, *cells)
    console.print(table)


@user_errors
def experiments(
    config: Config,
    segment: Annotated[
        str | None,
        typer.Option("--segment", help="What worked, hurt or did nothing in this segment."),
    ] = None,
    segmentation: Annotated[
        str | None, typer.Option("--segmentation", help="Only analyses within this one.")
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """The analysed experiments (latest readout each), or one segment's playbook memory."""
    from segwise.project import open_workspace
    from segwise.store import experiments as memory

    store = open_workspace(config)
    if segment is None:
        listed = memory.analyses(store)
        if segmentation is not None:
            listed = listed.filter(segmentation=segmentation)
        if as_json:
            typer.echo(json_text(listed.to_dicts()))
            return
        _show_analyses(listed)
        return
    found = memory.findings(store, segment=segment, segmentation=segmentation)
    if as_json:
        typer.echo(json_text(found.to_dicts()))
        return
    _show_findings(segment, found)


def _show_analyses(listed: Any) -> None:
    from rich.table import Table

    console = stdout()
    if listed.height == 0:
        console.print("no experiments analysed yet (segwise experiment analyze)")
        return
    table = Table(title=f"{listed.height} experiments", title_justify="left")
    for column in ("experiment", "segmentation", "analysed", "control", "variants", "split"):
        table.add_column(column)
    for row in listed.iter_rows(named=True):
        table.add_row(
            row["experiment"],
            row["segmentation"],
            f"{row['analysed_at']:%Y-%m-%d %H:%M}",
            row["control"],
            ", ".join(json.loads(row["variants"])),
            "MISMATCH" if row["srm_flagged"] else "ok",
        )
    console.print(table)


def _show_findings(segment: str, found: Any) -> None:
    console = stdout()
    if found.height == 0:
        console.print(f"no analysed experiment has a readout for '{segment}'", highlight=False)
        return
    for label in ("worked", "hurt", "no effect"):
        rows = found.filter(verdict=label)
        heading = {
            "worked": "what worked",
            "hurt": "what hurt",
            "no effect": "no detectable effect",
        }[label]
        console.print(f"[bold]{heading}[/] in {segment}: {rows.height}")
        for row in rows.iter_rows(named=True):
            interval = (
                "" if row["ci_low"] is None else f" [{row['ci_low']:+.3g}, {row['ci_high']:+.3g}]"
            )
            console.print(
                f"  · {row['experiment']}: {row['variant']} on {row['metric']}, "
                f"lift {row['lift']:+.3g}{interval}, p adjusted {row['p_adjusted']:.2g} "
                f"({row['n'] + row['control_n']:,} customers)",
                highlight=False,
            )


@user_errors
def advise(
    config: Config,
    segmentation: Annotated[
        str | None, typer.Option("--segmentation", help="Only this segmentation.")
    ] = None,
    min_size: Annotated[
        int, typer.Option("--min-size", min=1, help="Smallest segment worth acting on.")
    ] = 100,
    no_split: Annotated[
        bool, typer.Option("--no-split", help="Skip the split check (it clusters each segment).")
    ] = False,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Segments to merge or split (they do or do not respond differently), too small, too many."""
    from segwise.project import Project
    from segwise.project.advice import advise_project

    project = Project.from_yaml(config, allow_outside=allow_outside)
    found = advise_project(
        project, segmentation=segmentation, min_size=min_size, splits=not no_split
    )
    if as_json:
        typer.echo(json_text([a.to_dict() for a in found]))
        return
    console = stdout()
    for advised in found:
        console.print(f"[bold]{advised.segmentation}[/]: {len(advised.advice)} advice")
        for item in advised.advice:
            console.print(f"  · {item.kind}: {item.action}", highlight=False)
            for line in item.evidence:
                console.print(f"      {line}", highlight=False)
        for note in advised.notes:
            console.print(f"  note: {note}", highlight=False)
