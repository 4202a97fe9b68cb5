"""``segwise init DIR``: a working project, for the sample data or for the user's own exports."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from segwise.cli import options as opt
from segwise.cli.console import progress, stdout, user_errors

if TYPE_CHECKING:
    from segwise.io.options import SourceOptions


@user_errors
@opt.with_source_options
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new project (created if missing).")
    ],
    transactions: Annotated[
        Path | None,
        typer.Option(
            "--transactions",
            help="Your orders export: the project is written for this data (roles sniffed, "
            "rules from its quantiles). Without it, the sample retailer's data is used.",
        ),
    ] = None,
    customers: Annotated[
        Path | None,
        typer.Option(
            "--customers",
            help="A customer table (one row per customer). Alone, without --transactions: "
            "a project that clusters the customers' attributes (a CRM export).",
        ),
    ] = None,
    events: Annotated[
        Path | None, typer.Option("--events", help="An event log (visits, opens, sessions).")
    ] = None,
    responses: Annotated[
        Path | None,
        typer.Option(
            "--responses",
            help="Survey answers (one row per answer, or one column per question): adds "
            "needs-based segments and a codebook.yaml drafted from the answers.",
        ),
    ] = None,
    respondent_col: Annotated[
        str | None,
        typer.Option(
            "--respondent-col",
            help="The customer id column of --responses (else recognised by its name).",
        ),
    ] = None,
    copy: Annotated[
        bool,
        typer.Option("--copy", help="Copy the files into DIR/data instead of linking them."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing segwise.yaml.")
    ] = False,
    *,
    source: SourceOptions,
) -> None:
    """Scaffold a project: segwise.yaml (rfm, rules, cluster and clv) plus its data.

    The column and reading options (--customer-col, --delimiter…) describe the orders
    export given with --transactions, and go into the project file as given.
    """
    console = stdout()
    reading = source.keywords()
    _refuse_without_population(reading, transactions, customers, events, responses)
    draft = None
    if responses is not None:
        from segwise.project.sniff_survey import draft_survey

        draft = draft_survey(responses, customer_id=respondent_col)  # before any write
    if transactions is None and customers is not None:
        from segwise.project.sniff_customers import sniff_customers_project

        with progress("Reading your data") as step:
            step("Sniffing roles and reading the customers' attributes")
            sniffed = sniff_customers_project(
                directory, customers, events=events, force=force, copy=copy
            )
        console.print(f"created {sniffed.config} for {customers}", highlight=False)
        _notes(console, sniffed.notes)
        config = sniffed.config
    elif transactions is None:
        from segwise.project import Project

        config = Project.init(directory, force=force)
        console.print(f"created {config} with sample data in {directory / 'data'}", highlight=False)
    else:
        from segwise.project.sniff import sniff_project

        with progress("Reading your data") as step:
            step("Sniffing roles and building customer features")
            sniffed = sniff_project(
                directory,
                transactions,
                customers=customers,
                events=events,
                force=force,
                copy=copy,
                reading=reading,
            )
        config = sniffed.config
        console.print(f"created {config} for {transactions}", highlight=False)
        _notes(console, sniffed.notes)
    if draft is not None:
        from segwise.project.sniff_survey import add_survey

        add_survey(config, draft, copy=copy)
        _notes(console, draft.notes)
    console.print(f"next: segwise validate {config}, then segwise run {config}", highlight=False)


def _notes(console: Any, notes: list[str]) -> None:
    for note in notes:
        console.print(f"note: {note}", highlight=False)


def _refuse_without_population(
    reading: dict[str, Any],
    transactions: Path | None,
    customers: Path | None,
    events: Path | None,
    responses: Path | None,
) -> None:
    """Options that describe an input the command was not given, refused before any write."""
    from segwise.exceptions import ConfigError

    told = [key for key, value in reading.items() if key != "policy" or value != "default"]
    if told and transactions is None:
        raise ConfigError(
            "the column and reading options describe the orders export, and no "
            "--transactions is given",
            hint="pass --transactions FILE with them",
        )
    if transactions is None and customers is None:
        for flag, given in (("--events", events), ("--responses", responses)):
            if given is not None:
                raise ConfigError(
                    f"{flag} needs --customers or --transactions: the population comes from "
                    "a customer table or an orders export",
                    hint="pass --customers FILE, --transactions FILE, or both",
                )
