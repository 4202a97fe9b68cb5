"""``segwise init DIR``: scaffold a project with sample data and a commented segwise.yaml."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer

from segwise.cli.console import stdout, user_errors
from segwise.exceptions import ConfigError

PROJECT_TEMPLATE = """\
# segwise project file. Paths are relative to this file's folder.
name: {name}

# The workspace: runs, definitions and membership snapshots live here.
store: segwise.duckdb

# Where the work runs: polars (default), duckdb, or {{spark: {{master: "local[2]"}}}}.
engine: polars

sources:
  # One row per order line. Amount may also be {{quantity: COL, unit_price: COL}}.
  transactions:
    path: data/orders.csv.gz
    customer_id: customer_id
    timestamp: order_date
    amount: amount
    order_id: order_id
    category: category
    channel: channel
    # What to do with returns (order ids starting with C): net, keep or exclude.
    returns: net
  # One row per customer; columns listed under pii hold personal identifiers.
  customers:
    path: data/customers.csv.gz
    customer_id: customer_id
    pii: [email, phone]
  # Engagement events: one row per visit, email open, app session, ...
  events:
    path: data/events.parquet
    customer_id: user_id
    timestamp: ts
    event: event
"""


@user_errors
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new project (created if missing).")
    ],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing segwise.yaml.")
    ] = False,
) -> None:
    """Scaffold a project: segwise.yaml plus the sample retailer's data in DIR/data."""
    from segwise.datasets import sample_paths
    from segwise.io.writers import write_text

    config = directory / "segwise.yaml"
    if config.exists() and not force:
        raise ConfigError(
            f"{config}: a project already exists here", hint="pass --force to overwrite it"
        )
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"{directory}: is a file, not a folder", hint="choose a new folder name")
    data = directory / "data"
    data.mkdir(parents=True, exist_ok=True)
    for path in sample_paths().values():
        shutil.copyfile(path, data / path.name)
    write_text(PROJECT_TEMPLATE.format(name=directory.resolve().name or "project"), config)
    console = stdout()
    console.print(f"created {config} with sample data in {data}", highlight=False)
    console.print(f"next: segwise quality {data / 'orders.csv.gz'}", highlight=False)
