"""Stores as segwise wrote them before membership history (schema version 1).

The tables and the inserts of that release's ``Workspace.write_run``: every
run stored a full copy of every membership. Tests build old stores with it
(to check the migration) and measure what full snapshots take.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import duckdb
import polars as pl

if TYPE_CHECKING:
    from pathlib import Path

V1_TABLES = (
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, project VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, as_of DATE, config_hash VARCHAR, config VARCHAR,
        segwise_version VARCHAR, engine VARCHAR, customers BIGINT)""",
    """CREATE TABLE IF NOT EXISTS segmentations (
        run_id INTEGER, segmentation VARCHAR, method VARCHAR, definition VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS segments (
        run_id INTEGER, segmentation VARCHAR, segment VARCHAR, size BIGINT, share DOUBLE,
        profile VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS memberships (
        run_id INTEGER, segmentation VARCHAR, customer_id VARCHAR, segment VARCHAR)""",
)


def write_v1_run(path: Path, as_of: dt.date, segmentations: dict[str, pl.DataFrame]) -> int:
    """Append one run the way the version-1 store did; return its id."""
    with duckdb.connect(str(path)) as connection:
        for statement in V1_TABLES:
            connection.execute(statement)
        connection.execute("BEGIN TRANSACTION")
        run_id = connection.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0]
        connection.execute(
            "INSERT INTO runs VALUES (?, 'shop', ?, ?, ?, 'hash', 'name: shop', '0.1.0', "
            "'polars', ?)",
            [run_id, dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1), as_of, 0],
        )
        for name, members in segmentations.items():
            connection.execute(
                "INSERT INTO segmentations VALUES (?, ?, 'rules', ?)",
                [run_id, name, json.dumps({"method": "rules"})],
            )
            for segment, size in members.group_by("segment").len().iter_rows():
                connection.execute(
                    "INSERT INTO segments VALUES (?, ?, ?, ?, ?, '{}')",
                    [run_id, name, segment, size, size / max(members.height, 1)],
                )
            rows = members.select(
                pl.lit(run_id, dtype=pl.Int32).alias("run_id"),
                pl.lit(name).alias("segmentation"),
                pl.col("customer_id").cast(pl.String),
                pl.col("segment").cast(pl.String),
            ).to_arrow()
            connection.register("incoming_members", rows)
            connection.execute("INSERT INTO memberships SELECT * FROM incoming_members")
            connection.unregister("incoming_members")
        connection.execute("COMMIT")
    return int(run_id)
