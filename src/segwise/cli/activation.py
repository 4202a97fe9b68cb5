"""``segwise export``: one segment's audience as a file, hashed for the platform it goes to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from segwise.cli import options as opt
from segwise.cli.console import cli_actor, json_text, stderr, stdout, user_errors
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
        Path,
        typer.Option("-o", "--output", help="The file to write (its extension picks the format)."),
    ],
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
    )
    write_table(found.table, output)
    detail = {"rows": found.table.height, "columns": found.table.columns, "hash": hashing}
    audit.record(project.store, cli_actor(), "export", f"{found.segmentation}/{found.segment}",
                 detail=detail)  # fmt: skip
    if as_json:
        stdout().print_json(json_text({**found.summary(), "output": str(output)}))
        return
    stdout().print(
        f"{found.table.height:,} members of {found.segmentation}/{found.segment} "
        f"(run {found.run_id}) written to {output}",
        highlight=False,
    )
    warn = stderr()
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
