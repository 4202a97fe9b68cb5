"""``segwise export``, ``sync`` and ``deliveries``: audiences to the tools where campaigns run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from segwise.cli import options as opt
from segwise.cli.console import (
    cli_actor,
    json_text,
    progress_bar,
    stderr,
    stdout,
    user_errors,
)
from segwise.cli.project import AllowOutside, Config
from segwise.exceptions import ConfigError


@user_errors
def export(
    config: Config,
    segment: Annotated[
        str,
        typer.Argument(
            help="The segment: segmentation/segment, or its name alone.", show_default=False
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="The file to write (its extension picks the format); without it, CSV on stdout.",
        ),
    ] = None,
    columns: Annotated[
        str | None,
        typer.Option(
            "--columns",
            help="Columns of the customers source to add, comma-separated (email,phone).",
        ),
    ] = None,
    hashing: Annotated[
        str | None,
        typer.Option(
            "--hash",
            help="meta or google: normalise and hash email and phone columns as the platform "
            "matches them (the customer id stays out); sha256: hash every column as written.",
        ),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option("--country", help="ISO country of phone numbers written without +code."),
    ] = None,
    country_col: Annotated[
        str | None,
        typer.Option("--country-col", help="A column of ISO country codes for phone numbers."),
    ] = None,
    run_id: Annotated[
        int | None, typer.Option("--run", help="Run number (default: latest).")
    ] = None,
    segmentation: Annotated[
        str | None, typer.Option("--segmentation", help="When the name is in several.")
    ] = None,
    consent: Annotated[
        str | None,
        typer.Option(
            "--consent",
            help="A customers column of consent (consent_ads): only members who agreed go in.",
        ),
    ] = None,
    consent_purpose: Annotated[
        str | None,
        typer.Option(
            "--consent-purpose",
            help="A purpose of the consent history (ads): only members whose consent holds today.",
        ),
    ] = None,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Write one segment's members, with contact columns, hashed for an ad platform if asked."""
    from segwise.activation.audience import HASHINGS
    from segwise.io.writers import write_table
    from segwise.project import Project
    from segwise.project.export import export_segment
    from segwise.store import audit

    if hashing is not None and hashing not in HASHINGS:
        raise ConfigError(f"--hash {hashing}: unknown", hint="use meta, google or sha256")
    if output is None and as_json:
        raise ConfigError("--json prints a summary of a file: add -o FILE", hint="or drop --json")
    wanted = [c.strip() for c in (columns or "").split(",") if c.strip()]
    project = Project.from_yaml(config, allow_outside=allow_outside)
    found = export_segment(
        project,
        segment,
        segmentation=segmentation,
        run=run_id,
        columns=wanted,
        hashing=hashing,  # type: ignore[arg-type]
        country=country,
        country_col=country_col,
        consent=consent,
        consent_purpose=consent_purpose,
    )
    if output is not None:
        write_table(found.table, output)
    detail = {"rows": found.table.height, "columns": found.table.columns, "hash": hashing,
              # where the file is, so that segwise forget finds it
              "output": None if output is None else str(output.resolve())}  # fmt: skip
    audit.record(project.store, cli_actor(), "export", f"{found.segmentation}/{found.segment}",
                 detail=detail)  # fmt: skip
    if output is None:  # the rows are the output; what would be said goes to stderr
        sys.stdout.write(found.table.write_csv())
        _export_notes(found, country, country_col, hashing)
        return
    if as_json:
        stdout().print_json(json_text({**found.summary(), "output": str(output)}))
        return
    stdout().print(
        f"{found.table.height:,} members of {found.segmentation}/{found.segment} "
        f"(run {found.run_id}) written to {output}",
        highlight=False,
    )
    _export_notes(found, country, country_col, hashing)


def _export_notes(
    found: Any, country: str | None, country_col: str | None, hashing: str | None
) -> None:
    """What the export could not do, or did not check, on stderr."""
    warn = stderr()
    if found.without_consent:
        warn.print(f"note: {found.without_consent:,} members without consent ({found.consent}) "
                   "left out", highlight=False)  # fmt: skip
    if hashing in {"meta", "google"} and found.consent is None:
        # An ad platform's audience is the use consent is asked for; destinations check it.
        warn.print(
            f"warning: no consent checked: the {found.table.height:,} members go to "
            f"{hashing.capitalize()} whether or not they agreed; pass --consent COLUMN (a "
            "customers column such as consent_ads) or --consent-purpose ads",
            highlight=False,
        )
    if found.not_in_source:
        warn.print(f"note: {found.not_in_source:,} members are not in the customers source")
    for column, count in found.not_normalised.items():
        if count:
            warn.print(
                f"note: {count:,} {column} values could not be normalised and were left empty"
                + (
                    " (not valid numbers, or written without their +country code: "
                    "--country or --country-col reads those)"
                    if "phone" in column.lower() and country is None and country_col is None
                    else ""
                )
            )


@user_errors
def sync(
    config: Config,
    destination: Annotated[
        str | None, typer.Option("--destination", help="Sync only this destination.")
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Say what each destination would get, and why not, sending nothing."
        ),
    ] = False,
    allow_outside: AllowOutside = False,
    as_json: opt.Json = False,
) -> None:
    """Bring each destination in step with the latest run: adds and removes since the last sync."""
    from segwise.project import Project
    from segwise.project.sync import sync_destinations
    from segwise.project.triggers import fire_triggers
    from segwise.store import audit

    project = Project.from_yaml(config, allow_outside=allow_outside)
    triggers = project.config.triggers.values()
    steps = len(project.config.destinations) + sum(len(t.destinations()) for t in triggers)
    with progress_bar("syncing", steps) as step:
        results = sync_destinations(
            project, destination=destination, dry_run=dry_run, progress=step
        )
        events = fire_triggers(project, destination=destination, dry_run=dry_run, progress=step)
    sent = ("delivered", "failed")  # a failed webhook delivery sent part of its batches
    for result in results:
        if result.status in sent:
            detail = {"delivery": result.plan.delivery_id, "adds": result.plan.adds.height,
                      "removes": result.plan.removes.height}  # fmt: skip
            audit.record(project.store, cli_actor(), "sync", result.plan.destination, detail=detail)
    for event in events:
        if event.status in sent:
            detail = {"run": event.run_id, "entered": event.entered, "exited": event.exited}
            audit.record(project.store, cli_actor(), "trigger",
                         f"{event.trigger} → {event.destination}", detail=detail)  # fmt: skip
    if as_json:
        stdout().print_json(json_text({"destinations": [r.to_dict() for r in results],
                                       "triggers": [e.to_dict() for e in events]}))  # fmt: skip
    else:
        stdout().print(sync_table(results, dry_run=dry_run))
        if events:
            stdout().print(trigger_table(events, dry_run=dry_run))
    parked = [r.plan.destination for r in results if r.failed_batches or r.earlier_failed]
    parked += [e.destination for e in events if e.failed_batches]
    if parked:
        names = ", ".join(dict.fromkeys(parked))
        stderr().print(
            f"error: some webhook batches could not be delivered to {names}; they are kept "
            "and the next sync sends them first (see: segwise deliveries CONFIG --batches)",
            highlight=False,
        )
        raise typer.Exit(1)


def sync_table(results: list[Any], *, dry_run: bool) -> Table:
    """One row per destination and segment: members, audience, adds, removes, why not."""
    table = Table(title="what would be sent (dry run)" if dry_run else "sync")
    for column in ("destination", "segment", "members", "audience", "adds", "removes"):
        table.add_column(column, justify="right" if column not in ("destination", "segment")
                         else "left")  # fmt: skip
    table.add_column("left out")
    for result in results:
        for s in result.plan.segments:
            reasons = [
                f"{count:,} {what}"
                for count, what in (
                    (s.held_out, "held out"),
                    (s.not_consented, "no consent"),
                    (s.suppressed, "suppressed"),
                    (s.no_identifier, "no identifier"),
                )
                if count
            ]
            if s.skipped:
                reasons.append(f"not sent: {s.skipped}")
            table.add_row(
                result.plan.destination, f"{s.segmentation}/{s.segment}", f"{s.members:,}",
                f"{s.audience:,}", f"{s.adds:,}", f"{s.removes:,}", "; ".join(reasons),
            )  # fmt: skip
        state = {"planned": "nothing sent", "unchanged": "nothing changed"}.get(result.status)
        if state:
            table.add_row(result.plan.destination, f"({state})", "", "", "", "", "")
        for note in _batch_notes(result, dry_run=dry_run):
            table.add_row(result.plan.destination, f"({note})", "", "", "", "", "")
    return table


def trigger_table(events: list[Any], *, dry_run: bool) -> Table:
    """One row per trigger, destination and run: who entered, who left, who was left out."""
    table = Table(title="trigger events (dry run: not sent)" if dry_run else "trigger events")
    for column in ("trigger", "destination", "run", "entered", "exited", "left out", "status"):
        table.add_column(column, justify="right" if column in ("entered", "exited") else "left")
    for event in events:
        run = f"{event.from_run} → {event.run_id}" if event.from_run else str(event.run_id)
        status = event.status
        if status == "started":
            status = f"starts here: fires for the runs after run {event.run_id}"
        elif event.failed_batches:
            status += f" ({event.failed_batches} of {event.batches} batches parked)"
        if event.regrouped:
            status += (
                f"; not sent: {', '.join(event.regrouped)} fitted afresh (a regrouping, not "
                "customers who changed; keep the model with model: PATH)"
            )
        left_out = (
            f"{event.left_out:,} (held out, no consent or suppressed)" if event.left_out else ""
        )
        table.add_row(event.trigger, event.destination, run, f"{event.entered:,}",
                      f"{event.exited:,}", left_out, status)  # fmt: skip
    return table


def _batch_notes(result: Any, *, dry_run: bool) -> list[str]:
    """Webhook batches: left by earlier syncs, and parked by this one."""
    notes = []
    if result.earlier_batches:
        verb = "waiting to be sent first" if dry_run else "sent first"
        failed = f", {result.earlier_failed:,} failed again" if result.earlier_failed else ""
        notes.append(f"{result.earlier_batches:,} batches of earlier syncs {verb}{failed}")
    if result.failed_batches:
        notes.append(f"{result.failed_batches:,} of {result.batches:,} batches parked as failed")
    return notes


@user_errors
def deliveries(
    config: Config,
    destination: Annotated[
        str | None, typer.Option("--destination", help="Only this destination's deliveries.")
    ] = None,
    show_batches: Annotated[
        bool,
        typer.Option(
            "--batches", help="Webhook batches: status, attempts, HTTP status, time, error."
        ),
    ] = False,
    as_json: opt.Json = False,
) -> None:
    """The delivery log: each sync, what it sent, and whether it got there."""
    from segwise.project import open_workspace
    from segwise.store.outbox import batches
    from segwise.store.sync import deliveries as logged

    store = open_workspace(config)
    if show_batches:
        _print_batches(batches(store, destination), as_json=as_json)
        return
    table = logged(store, destination)
    if as_json:
        stdout().print_json(json_text(table.to_dicts()))
        return
    if table.height == 0:
        stdout().print("no deliveries yet (segwise sync CONFIG sends them)")
        return
    out = Table(title="deliveries, newest first")
    for column in ("finished_at", "destination", "run_id", "status", "adds", "removes",
                   "batches", "delivery_id", "message"):  # fmt: skip
        out.add_column(column)
    for row in table.iter_rows(named=True):
        sent = f"{row['batches']:,}" if row["batches"] else ""
        if row["failed_batches"]:
            sent += f" ({row['failed_batches']:,} failed)"
        out.add_row(
            f"{row['finished_at']:%Y-%m-%d %H:%M:%S}", row["destination"], str(row["run_id"]),
            row["status"], f"{row['adds']:,}", f"{row['removes']:,}", sent, row["delivery_id"],
            row["message"] or "",
        )  # fmt: skip
    stdout().print(out)


def _print_batches(table: Any, *, as_json: bool) -> None:
    if as_json:
        stdout().print_json(json_text(table.to_dicts()))
        return
    if table.height == 0:
        stdout().print("no webhook batches yet")
        return
    out = Table(title="webhook batches, newest first")
    for column in ("destination", "delivery_id", "batch", "rows", "status", "attempts", "http",
                   "ms", "webhook_id", "error"):  # fmt: skip
        out.add_column(column)
    for row in table.iter_rows(named=True):
        out.add_row(
            row["destination"], row["delivery_id"], f"{row['batch']}/{row['batches']}",
            f"{row['rows']:,}", row["status"], str(row["attempts"]),
            str(row["http_status"] or ""), f"{row['elapsed_ms'] or 0:,.0f}", row["webhook_id"],
            row["error"] or "",
        )  # fmt: skip
    stdout().print(out)
