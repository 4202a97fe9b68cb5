"""``segwise purge``: delete what is past the project's retention, and log the counts."""

from __future__ import annotations

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
