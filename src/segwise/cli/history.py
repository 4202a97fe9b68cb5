"""``segwise changes``, ``history``, ``diff`` and ``preview``: how segments moved, or would."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import cli_actor, json_text, progress, stdout, user_errors
from segwise.cli.project import AllowOutside, Config

FromRun = Annotated[
    int | None, typer.Option("--from", help="The earlier run (default: the one before --to).")
]
ToRun = Annotated[int | None, typer.Option("--to", help="The later run (default: latest).")]
Segmentation = Annotated[str | None, typer.Option("--segmentation", help="Only this segmentation.")]


@user_errors
def changes(
    config: Config,
    from_run: FromRun = None,
    to_run: ToRun = None,
    segmentation: Segmentation = None,
    matrix: Annotated[
        bool, typer.Option("--matrix", help="Show the from → to migration matrix.")
    ] = False,
    forecast: Annotated[
        int | None,
        typer.Option(
            "--forecast",
            help="With --segmentation: forecast its segment sizes for the next N runs (1-3) "
            "from the stored migrations.",
        ),
    ] = None,
    output: opt.Output = None,
    as_json: opt.Json = False,
) -> None:
    """Who entered and who left each segment between two runs, with counts per segment.

    -o writes one row per customer who moved (segmentation, segment, customer_id, change);
    --json prints the counts, the matrix and the movers.
    """
    from segwise.io.writers import write_table
    from segwise.project import open_workspace
    from segwise.store.audit import record_written

    store = open_workspace(config)
    if forecast is not None:
        _print_forecast(store, segmentation, forecast, as_json=as_json)
        return
    found = store.changes(from_run, to_run, segmentation=segmentation)
    console = stdout()
    if output is not None:
        movers = found.ordered_movers()
        write_table(movers, output)
        record_written(store, cli_actor(), "changes", f"runs {found.from_run} → {found.to_run}",
                       output, rows=movers.height)  # fmt: skip
    if as_json:
        console.print_json(json_text(found.to_dict()))
        return
    # The note first: a reader who stops at the table must not take a regrouping for moves.
    for refit in found.refits:
        console.print(f"note: {refit.note(found.from_run, found.to_run)}", style="yellow")
    if note := found.edit_note():
        console.print(f"note: {note}", style="yellow", highlight=False)
    console.print(_counts_table(found))
    for refit in found.refits:
        console.print(_refit_table(refit))
    if matrix:
        for name in found.matrix["segmentation"].unique(maintain_order=True).to_list():
            console.print(_matrix_table(found, name))
    if output is not None:
        console.print(f"{found.movers.height:,} moves written to {output}", highlight=False)


def _print_forecast(store: Any, segmentation: str | None, steps: int, *, as_json: bool) -> None:
    from rich.table import Table

    from segwise.exceptions import ConfigError

    if segmentation is None or not 1 <= steps <= 3:
        raise ConfigError(
            "--forecast N needs --segmentation NAME and N from 1 to 3",
            hint="e.g. segwise changes shop --segmentation value --forecast 3",
        )
    found = store.forecast(segmentation, steps=steps)
    if as_json:
        stdout().print_json(json_text(found.to_dict()))
        return
    rough = " (few: treat as rough)" if found.pairs < 3 else ""
    table = Table(
        title=f"{segmentation}: forecast from {found.pairs} run-to-run migrations{rough}",
        title_justify="left",
    )
    for column in ("runs ahead", "segment", "expected", "90% interval"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for row in found.sizes.iter_rows(named=True):
        interval = f"{row['low']:,.0f} – {row['high']:,.0f}"
        table.add_row(str(row["step"]), row["segment"], f"{row['expected']:,.0f}", interval)
    stdout().print(table)


def _counts_table(found: Any) -> Any:
    from rich.table import Table

    table = Table(title=f"run {found.from_run} → run {found.to_run}", title_justify="left")
    for column in ("segmentation", "segment", "before", "after", "entered", "left"):
        table.add_column(
            column, justify="left" if column in ("segmentation", "segment") else "right"
        )
    for row in found.counts.iter_rows(named=True):
        table.add_row(
            row["segmentation"],
            row["segment"],
            f"{row['before']:,}",
            f"{row['after']:,}",
            _signed("+", row["entered"]),
            _signed("−", row["exited"]),
        )
    return table


def _refit_table(refit: Any) -> Any:
    from rich.table import Table

    table = Table(
        title=f"{refit.segmentation}: the closest new segment to each old one",
        title_justify="left",
    )
    for column in ("old segment", "new segment", "share of old", "overlap"):
        table.add_column(column, justify="left" if "segment" in column else "right")
    for row in refit.matches.iter_rows(named=True):
        table.add_row(
            row["from_segment"], row["to_segment"], f"{row['share']:.0%}", f"{row['overlap']:.0%}"
        )
    return table


def _matrix_table(found: Any, segmentation: str) -> Any:
    from rich.table import Table

    rows = found.shares().filter(found.shares()["segmentation"] == segmentation)
    table = Table(title=f"{segmentation}: from (rows) → to", title_justify="left")
    for column in ("from", "to", "customers", "share of from"):
        table.add_column(column, justify="left" if column in ("from", "to") else "right")
    for row in rows.iter_rows(named=True):
        table.add_row(
            row["from_segment"], row["to_segment"], f"{row['customers']:,}", f"{row['share']:.1%}"
        )
    return table


@user_errors
def history(
    config: Config,
    customer: Annotated[str, typer.Argument(help="The customer's id.", show_default=False)],
    as_json: opt.Json = False,
) -> None:
    """One customer's path through every segmentation, run by run, and why each move happened."""
    from segwise.exceptions import ConfigError
    from segwise.project import Project
    from segwise.project.pseudonyms import as_stored

    project = Project.from_yaml(config)
    store = project.store
    # With pseudonyms, the id as written (a CRM's) or as stored (a list's) both find them.
    found = store.history(as_stored(project, customer, lambda i: store.history(i).path.height > 0))
    if found.path.height == 0:
        raise ConfigError(
            f"customer '{customer}' is in no stored run",
            hint="check the id (as written in the data, leading zeros included)",
        )
    console = stdout()
    if as_json:
        console.print_json(json_text(found.to_dict()))
        return
    console.print(_path_table(found))
    for move in found.moves:
        console.print(
            f"run {move.run_id} ({move.as_of}) · {move.segmentation}: "
            f"{', '.join(move.before)} → {', '.join(move.after)} — {move.reason}",
            highlight=False,
        )


def _path_table(found: Any) -> Any:
    from rich.table import Table

    names, rows = found.by_run()
    table = Table(title=f"customer {found.customer_id}", title_justify="left")
    for column in ("run", "as of", *names):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["run_id"]), row["as_of"], *row["segments"].values())
    return table


@user_errors
def preview(
    config: Config,
    segmentation: Segmentation = None,
    as_json: opt.Json = False,
    allow_outside: AllowOutside = False,
) -> None:
    """What the edited project file would change in the latest run: +entering / −leaving.

    Nothing is stored. Per segment: members now and after the edit, who would enter and
    leave, and their revenue.
    """
    import polars as pl

    from segwise.project import Project

    project = Project.from_yaml(config, allow_outside=allow_outside)
    with progress("Previewing") as step:
        impact = project.preview(segmentation=segmentation, progress=step)
    console = stdout()
    if as_json:
        console.print_json(json_text(impact.to_dict()))
        return
    segments = impact.segments
    # An edit usually touches one segmentation: the others' rows would bury its few.
    moved = segments.filter(
        ((pl.col("entering") > 0) | (pl.col("leaving") > 0) | (pl.col("before") != pl.col("after")))
        .any()
        .over("segmentation")
    )
    still = sorted(set(segments["segmentation"]) - set(moved["segmentation"]))
    if moved.height:
        console.print(_impact_table(impact, moved, project.config.currency))
    else:
        console.print(f"against run {impact.run_id}: the edit moves no customer", highlight=False)
    if still:
        console.print(f"unchanged: {', '.join(still)}", highlight=False)


def _impact_table(impact: Any, rows: Any, currency: str | None) -> Any:
    from rich.table import Table

    from segwise.profiling.amounts import money

    source = "the kept customer table" if impact.from_cache else "the sources, read again"
    table = Table(
        title=f"against run {impact.run_id} · evaluated on {source}", title_justify="left"
    )
    for column in ("segmentation", "segment", "now", "after the edit", "change", "their revenue"):
        left = column in ("segmentation", "segment")
        table.add_column(column, justify="left" if left else "right")
    for row in rows.iter_rows(named=True):
        revenue = [
            f"+{money(row['revenue_entering'], currency)}" if row["entering"] else "",
            f"−{money(row['revenue_leaving'], currency)}" if row["leaving"] else "",
        ]
        table.add_row(
            row["segmentation"],
            row["segment"],
            f"{row['before']:,}",
            f"{row['after']:,}",
            f"{_signed('+', row['entering'])} / {_signed('−', row['leaving'])}",
            " ".join(r for r in revenue if r),
        )
    return table


@user_errors
def diff(
    config: Config,
    from_run: FromRun = None,
    to_run: ToRun = None,
    as_json: opt.Json = False,
) -> None:
    """What changed in the segment definitions between two runs, as a readable diff."""
    from segwise.project import open_workspace

    store = open_workspace(config)
    changes = store.diff(from_run, to_run)
    if as_json:
        stdout().print_json(json_text([c.to_dict() for c in changes]))
        return
    for change in changes:
        version = f" (definition {change.hash_after})" if change.hash_after else ""
        said = _STATUS_SAID.get(change.status, change.status)
        typer.echo(f"{change.segmentation}: {said}{version}")
        for line in change.lines:
            typer.echo(f"  {line}")


#: How ``diff`` says a status that needs more than a word.
_STATUS_SAID = {
    "refitted": "refitted: the same settings, fitted again on this run's data",
}


def _signed(sign: str, count: int) -> str:
    """``+1,234`` or ``−56``; nobody is ``0``, not ``−0``.

    Examples
    --------
    >>> _signed("+", 1234), _signed("−", 0)
    ('+1,234', '0')
    """
    return f"{sign}{count:,}" if count else "0"
