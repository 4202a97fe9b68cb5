"""A run's memberships written back to the warehouse, beside the workspace store.

With ``engine.spark.memberships`` set, every run also writes its memberships
as a table the warehouse's own tools (SQL, BI, reverse-ETL) read: one row per
customer and segmentation, partitioned by run. The store still keeps the
history, the definitions and the report; the table is the hand-off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.engine.warehouse import erase_from_warehouse, write_warehouse
from segwise.store.intervals import memberships_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import date

    from segwise.project.pipeline import Project
    from segwise.store import RunRecord

#: The columns of the memberships table, in order (``run_id`` is the partition).
COLUMNS = ("as_of", "segmentation", "segment", "customer_id", "run_id")


def memberships_rows(record: RunRecord, run_id: int, as_of: date) -> Any:
    """The run's memberships as an Arrow table, as the warehouse holds them (:data:`COLUMNS`)."""
    rows = pl.from_arrow(memberships_of(record))
    assert isinstance(rows, pl.DataFrame)
    return rows.select(
        pl.lit(as_of, pl.Date).alias("as_of"),
        "segmentation",
        "segment",
        "customer_id",
        pl.lit(run_id, pl.Int64).alias("run_id"),
    ).to_arrow()


def write_back(
    project: Project, record: RunRecord, run_id: int, step: Callable[[str], None]
) -> None:
    """Write the run's memberships to ``engine.spark.memberships``, if the project names one.

    Called before the store commits: a refused write fails the run, so the
    store never holds a run the warehouse table lacks. A run written again
    under the same id (after a failed commit) replaces its partition.
    """
    settings = getattr(project.config.engine, "spark", None)
    target = None if settings is None else settings.memberships
    if target is None:
        return
    step(f"Writing the memberships to {target.describe()}")
    write_warehouse(
        project.spark_session(),
        memberships_rows(record, run_id, record.as_of),
        table=target.table,
        path=target.path,
        fmt=target.format,
        partition="run_id",
        where="engine.spark.memberships",
    )


def erase_written_back(project: Project, ids: Sequence[str], *, dry_run: bool) -> dict[str, int]:
    """Remove ``ids`` from every run's memberships in ``engine.spark.memberships``.

    ``segwise forget`` calls it before the store is cleaned: a refused rewrite
    stops the erasure with the store as it was, so it can be run again. Returns
    the rows removed (or, on a dry run, found) by the place's name, or nothing.
    """
    settings = getattr(project.config.engine, "spark", None)
    target = None if settings is None else settings.memberships
    if target is None or not ids:
        return {}
    found = erase_from_warehouse(
        project.spark_session(),
        "customer_id",
        ids,
        table=target.table,
        path=target.path,
        fmt=target.format,
        partition="run_id",
        where="engine.spark.memberships",
        dry_run=dry_run,
    )
    return {target.describe(): found} if found else {}
