"""``segwise init DIR``: scaffold a working project with sample data and a commented file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from segwise.cli.console import stdout, user_errors


@user_errors
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new project (created if missing).")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing segwise.yaml.")
    ] = False,
) -> None:
    """Scaffold a project: segwise.yaml (rfm, rules, cluster and clv) plus sample data."""
    from segwise.project import Project

    config = Project.init(directory, force=force)
    console = stdout()
    console.print(f"created {config} with sample data in {directory / 'data'}", highlight=False)
    console.print(f"next: segwise run {config}", highlight=False)
