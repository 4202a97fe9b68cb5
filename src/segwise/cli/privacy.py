"""``segwise purge``, ``forget``, ``access``, ``privacy``: retention, erasure, the record."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import cli_actor, json_text, stdout, user_errors
from segwise.cli.project import AllowOutside, Config


@user_errors
def purge(
    config: Config,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what is past retention; delete nothing.")
    ] = False,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Delete stored runs and quarantine files past `retention:` (counts go to the audit log)."""
    from segwise.project import Project
    from segwise.project.retention import purge as purge_project
    from segwise.store import audit

    project = Project.from_yaml(config, allow_outside=allow_outside)
    if not project.config.retention:
        stdout().print(
            "warning: the project has no retention: section, so nothing is past it "
            "(e.g. retention: {runs: 24 months, quarantine: 90 days}; docs/privacy.md)",
            highlight=False,
        )
    found = purge_project(project, dry_run=dry_run)
    if not dry_run and project.store.path.exists():
        detail = {**found.store, "quarantine_files": len(found.quarantine_files)}
        audit.record(project.store, cli_actor(), "purge", "retention", detail=detail)
    if as_json:
        typer.echo(json_text(found.to_dict()))
        return
    verb = "would delete" if dry_run else "deleted"
    if found.runs_kept_from is not None:
        rows = ", ".join(f"{n:,} {t}" for t, n in found.store.items() if t != "runs" and n)
        stdout().print(
            f"runs as of a day before {found.runs_kept_from}: {verb} "
            f"{found.store.get('runs', 0):,}" + (f" ({rows})" if rows else ""),
            highlight=False,
        )
    if found.quarantine_kept_from is not None:
        stdout().print(
            f"quarantine files older than {found.quarantine_kept_from}: {verb} "
            f"{len(found.quarantine_files)}"
            + (f" ({', '.join(found.quarantine_files)})" if found.quarantine_files else ""),
            highlight=False,
        )


@user_errors
def forget(
    config: Config,
    customers: Annotated[
        list[str] | None,
        typer.Argument(help="The customers' ids, as segwise writes them.", show_default=False),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="A file of ids, one per line (blank lines skipped)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count where they are held; change nothing.")
    ] = False,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Erase customers from the store, files, deliveries, reports, logs and warehouse table."""
    from segwise.exceptions import ConfigError
    from segwise.project import Project
    from segwise.project.erasure import forget as forget_customers

    ids = list(customers or [])
    if from_file is not None:
        try:
            ids += [line.strip() for line in from_file.read_text().splitlines() if line.strip()]
        except OSError as exc:
            raise ConfigError(f"--from-file {from_file}: cannot read it ({exc.strerror})") from None
    if not ids:
        raise ConfigError("no customer to forget", hint="give ids, or --from-file FILE")
    project = Project.from_yaml(config, allow_outside=allow_outside)
    found = forget_customers(project, ids, dry_run=dry_run, actor=cli_actor())
    if as_json:
        typer.echo(json_text(found.to_dict()))
        return
    verb = "would clean" if dry_run else "cleaned"
    stdout().print(
        f"{found.customers:,} customer{'s' if found.customers != 1 else ''}: {verb} "
        f"{found.places} place{'s' if found.places != 1 else ''}",
        highlight=False,
    )
    for place, count in {**found.store, **found.files, **found.warehouse}.items():
        stdout().print(f"  {place}: {count:,}", highlight=False)
    for name, told in found.webhooks.items():
        waiting = (
            f"; {told['failed']} failed, sent by the next segwise sync" if told["failed"] else ""
        )
        stdout().print(
            f"  {name} (webhook): {'would be told' if dry_run else 'told'} to remove "
            f"{told['removes']:,} rows{waiting}",
            highlight=False,
        )
    if not dry_run:
        stdout().print(
            "tombstoned: later runs leave their rows out of the sources (counted as erased); "
            "remove them from the sources too",
            highlight=False,
        )


@user_errors
def access(
    config: Config,
    customer: Annotated[str, typer.Argument(help="The customer's id.", show_default=False)],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="The JSON file to write (else stdout).")
    ] = None,
    allow_outside: AllowOutside = False,
) -> None:
    """Everything held about one customer, as JSON: segments, history, features, consents."""
    from segwise.io.writers import write_text
    from segwise.project import Project
    from segwise.project.access import customer_record
    from segwise.store import audit

    project = Project.from_yaml(config, allow_outside=allow_outside)
    text = json_text(customer_record(project, customer))
    if project.store.path.exists():  # where the file is (never who), so forget finds it
        detail = {"output": None if output is None else str(output.resolve())}
        audit.record(project.store, cli_actor(), "access", "customer", detail=detail)
    if output is None:
        typer.echo(text)
        return
    write_text(text + "\n", output)
    stdout().print(f"wrote {output}", highlight=False)


@user_errors
def privacy(config: Config, allow_outside: AllowOutside = False, as_json: opt.Json = False) -> None:
    """The record of processing: sources, personal columns, purposes, retention, erasures."""
    from segwise.project import Project
    from segwise.project.processing import as_text, processing_record

    record = processing_record(Project.from_yaml(config, allow_outside=allow_outside))
    if as_json:
        typer.echo(json_text(record))
        return
    for line in as_text(record):
        stdout().print(line, highlight=False, markup=False)
