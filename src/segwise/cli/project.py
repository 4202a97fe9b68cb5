"""``segwise run``, ``validate``, ``runs`` and ``members``: a project from its segwise.yaml."""

from __future__ import annotations

import sys
import warnings
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import (
    cli_actor,
    json_text,
    progress,
    progress_bar,
    quality_table,
    stderr,
    stdout,
    user_errors,
)
from segwise.exceptions import ConfigError

Config = Annotated[
    Path, typer.Argument(help="The project file (segwise.yaml) or its folder.", show_default=False)
]
Engine = Annotated[
    str | None, typer.Option("--engine", help="polars, duckdb or spark (overrides the file).")
]
AllowOutside = Annotated[
    bool,
    typer.Option(
        "--allow-outside",
        help="Let the project read and write files outside its folder (refused by default).",
    ),
]


def summary_table(result: Any) -> Any:
    """A rich table: one row per segmentation with its segments and the largest one."""
    from rich.table import Table

    table = Table(
        title=f"run {result.run_id} · as of {result.as_of} · {result.engine} · "
        f"{result.customers:,} customers"
        + (f" · {result.accounts:,} accounts" if result.accounts is not None else ""),
        title_justify="left",
    )
    for column in ("segmentation", "method", "segments", "largest segment", "share"):
        table.add_column(column, justify="right" if column in ("segments", "share") else "left")
    for segmentation in result.segmentations:
        cards = segmentation.cards
        largest = max(cards, key=lambda c: c.size) if cards else None
        table.add_row(
            segmentation.name,
            segmentation.method,
            str(len(cards)),
            largest.name if largest else "",
            f"{largest.share:.1%}" if largest else "",
        )
    return table


def _tell(result: Any) -> None:
    """On stderr: who the run left out, notes on the data, warnings, critical alerts."""
    for level, message in [*result.population, *result.notes]:
        sys.stderr.write(f"{level}: {message}\n")  # also at the top of the report
    for segmentation in result.segmentations:
        for warning in segmentation.warnings:
            # The same warnings are on the report's cards and stored with the run.
            sys.stderr.write(f"warning: segmentation '{segmentation.name}': {warning}\n")
    for alert in result.alerts:
        if alert.level == "critical":
            sys.stderr.write(f"alert: {alert.message}\n")


@user_errors
def run(
    config: Config,
    as_of: opt.AsOf = None,
    engine: Engine = None,
    as_json: opt.Json = False,
    allow_outside: AllowOutside = False,
) -> None:
    """Run a project: ingest, features, every segmentation, profiles, store, report."""
    from segwise.project import Project

    project = Project.from_yaml(config, allow_outside=allow_outside)
    steps = 7 + len(project.config.segmentations)
    with progress_bar(f"Running {project.config.name}", steps) as step:
        result = project.run(as_of=as_of, engine=engine, progress=step)
    _tell(result)
    console = stdout()
    if as_json:
        payload = result.to_dict()
        console.print_json(json_text(payload))
        return
    console.print(summary_table(result))
    if result.since_last_success:
        console.print(result.since_last_success, highlight=False)
    if result.alerts:
        count = len(result.alerts)
        noun = "alert" if count == 1 else "alerts"
        console.print(f"{count} {noun} (segwise alerts {config} lists them)", highlight=False)
    console.print(f"report: {result.report.resolve()}", highlight=False)
    console.print(f"store: {result.store.resolve()} (segwise runs {config})", highlight=False)


@user_errors
def refresh(
    config: Config,
    engine: Engine = None,
    as_json: opt.Json = False,
    allow_outside: AllowOutside = False,
) -> None:
    """Run the project only if a source or the project file changed since the last run.

    For schedulers: exit 0 when it ran and when there was nothing to do (the first line, or
    --json's "ran", says which), 1 when the run failed.
    """
    from segwise.project import Project

    project = Project.from_yaml(config, allow_outside=allow_outside)
    steps = 7 + len(project.config.segmentations)
    with progress_bar(f"Refreshing {project.config.name}", steps) as step:
        done = project.refresh(engine=engine, progress=step)
    if done.run is not None:  # what a run says, a refresh that ran says too
        _tell(done.run)
    console = stdout()
    if as_json:
        console.print_json(json_text(done.to_dict()))
        return
    if done.run is None:
        console.print(done.reason, highlight=False)
        return
    console.print(f"ran: {done.reason}", highlight=False)
    console.print(summary_table(done.run))


@user_errors
def validate(config: Config, allow_outside: AllowOutside = False) -> None:
    """Check a project without running it: the file, every source and every rule."""
    from segwise.project import Project
    from segwise.project.population import PopulationWarning

    project = Project.from_yaml(config, allow_outside=allow_outside)
    with progress("Validating") as step, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PopulationWarning)
        reports = project.validate(progress=step)
    console = stdout()
    for report in reports:
        console.print(quality_table(report, project.config.currency))
    names = ", ".join(
        f"{name} ({spec.method})" for name, spec in project.config.segmentations.items()
    )
    console.print(f"{config}: valid; segmentations {names}", highlight=False)
    for found in caught:
        if issubclass(found.category, PopulationWarning):
            sys.stderr.write(f"warning: {found.message}\n")
        else:  # shown as they would have been
            warnings.showwarning(found.message, found.category, found.filename, found.lineno)
    for key in _unkept_cluster_models(project.config.segmentations):
        sys.stderr.write(
            f"note: {key} keeps no model: each run fits the clusters afresh and may regroup "
            f"and rename them; add 'model: models/<name>.json' there to keep them\n"
        )


def _unkept_cluster_models(segmentations: dict[str, Any]) -> list[str]:
    """The config keys of cluster segmentations (or hybrid children) without ``model:``."""
    found = []
    for name, spec in segmentations.items():
        children = getattr(spec, "within", None) or {}
        if spec.method == "cluster" and spec.model is None:
            found.append(f"segmentations.{name}")
        found += [
            f"segmentations.{name}.within.{parent}"
            for parent, child in children.items()
            if child.method == "cluster" and child.model is None
        ]
    return found


@user_errors
def runs(config: Config, as_json: opt.Json = False) -> None:
    """List the runs stored for a project."""
    from rich.table import Table

    from segwise.project import open_workspace

    table = open_workspace(config).runs()
    console = stdout()
    if as_json:
        console.print_json(json_text(table.to_dicts()))
        return
    view = Table(title=f"{table.height} runs", title_justify="left")
    for column in ("run", "as of", "started", "engine", "customers", "config", "report"):
        view.add_column(column, justify="right" if column in ("run", "customers") else "left")
    unreported = []
    for row in table.iter_rows(named=True):
        if row["report"] is None:
            unreported.append(row["run_id"])
        view.add_row(
            str(row["run_id"]),
            str(row["as_of"]),
            f"{row['started_at']:%Y-%m-%d %H:%M:%S}",
            row["engine"],
            f"{row['customers']:,}",
            row["config_hash"],
            "written" if row["report"] is not None else "not written",
        )
    console.print(view)
    failures = open_workspace(config).failures()
    for row in failures.iter_rows(named=True):
        console.print(
            f"failed run at {row['failed_at']:%Y-%m-%d %H:%M:%S}: {row['error']}", highlight=False
        )
    if unreported and unreported[-1] == table["run_id"].max():
        # A run stopped between its commit and its report: the report shows an older run.
        stderr().print(
            f"warning: run {unreported[-1]} is stored but its report was not written; "
            "the report file shows an earlier run. Run the project again to refresh it.",
            highlight=False,
        )


@user_errors
def alerts(
    config: Config,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run number (default: latest).")
    ] = None,
    as_json: opt.Json = False,
) -> None:
    """A run's health alerts: segments whose size or customers shifted since the run before."""
    from segwise.project import open_workspace

    found = open_workspace(config).alerts(run_id)
    console = stdout()
    if as_json:
        console.print_json(json_text(found.to_dicts()))
        return
    if found.height == 0:
        console.print("no alerts", highlight=False)
    for row in found.iter_rows(named=True):
        console.print(f"{row['level']}: {row['message']}", highlight=False)


@user_errors
def members(
    config: Config,
    segment: Annotated[str, typer.Argument(help="The segment's name.", show_default=False)],
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run number (default: latest).")
    ] = None,
    segmentation: Annotated[
        str | None, typer.Option("--segmentation", help="When the name is in several.")
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--on",
            help="The members in force on this day (YYYY-MM-DD): the latest "
            "run as of that day or earlier.",
        ),
    ] = None,
    contacts: Annotated[
        bool,
        typer.Option(
            "--contacts",
            help="For a segment of accounts (level: account): list each account's contacts "
            "(account_id, customer_id), as the run mapped them.",
        ),
    ] = False,
    output: opt.Output = None,
    as_json: opt.Json = False,
) -> None:
    """List the customers (or accounts) in one segment of a stored run."""
    from segwise.io.writers import write_table
    from segwise.project import open_workspace
    from segwise.store.audit import record_written

    if on is not None and run_id is not None:
        raise ConfigError("--on and --run both choose the run", hint="give one of them")
    day = None if on is None else check_date("--on", on)
    store = open_workspace(config)
    table = store.members(segment, run=run_id, segmentation=segmentation, on=day, contacts=contacts)
    console = stdout()
    what = "contacts" if contacts else "members"
    if output is not None:
        write_table(table, output)
        record_written(store, cli_actor(), "members", segment, output, rows=table.height)
        console.print(f"{table.height:,} {what} written to {output}", highlight=False)
        return
    if as_json:
        rows = table.to_dicts() if contacts else table["customer_id"].to_list()
        console.print_json(json_text(rows))
        return
    for row in table.iter_rows():
        typer.echo("\t".join(str(value) for value in row))


def check_date(option: str, text: str) -> date:
    """A YYYY-MM-DD option as a date, or a one-line error naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option} '{text}' is not a date", hint="write it as YYYY-MM-DD"
        ) from None
