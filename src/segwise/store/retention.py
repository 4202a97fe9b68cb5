"""Stored runs past retention, deleted: the runs, what each holds, and their intervals.

A run is past retention when its as-of date is before the first day kept; the
latest run is always kept (it is what the segments are now). Its rows go from
every table keyed by run; memberships are intervals of runs, so an interval
that covers no kept run goes, and one that spans both is cut to the kept runs
(the first and last kept run inside it). What was deleted is counted, never
listed: the counts go to the audit log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.store.erasure import compact
from segwise.store.schema import table_names
from segwise.store.transaction import transaction

if TYPE_CHECKING:
    from datetime import date

    import duckdb

    from segwise.store.workspace import Workspace

#: Tables with one row per run and something (``run_id``), beside ``runs`` itself.
BY_RUN = (
    "segmentations",
    "segments",
    "segment_counts",
    "alerts",
    "moves",
    "trigger_runs",
    "deliveries",
)
#: Tables of intervals of runs (``from_run``, ``to_run``: NULL while still held).
INTERVALS = ("membership_intervals", "contact_intervals")

_OLD = "SELECT run_id FROM runs WHERE as_of < $before AND run_id < (SELECT max(run_id) FROM runs)"
#: Holds an interval no kept run falls in.
_ORPHAN = (
    "NOT EXISTS (SELECT 1 FROM purge_kept k WHERE k.run_id >= {t}.from_run "
    "AND ({t}.to_run IS NULL OR k.run_id <= {t}.to_run))"
)


def purge_runs(store: Workspace, before: date, *, dry_run: bool = False) -> dict[str, int]:
    """Delete the runs as of a day before ``before`` (all but the latest); rows per table.

    ``dry_run`` counts and deletes nothing. The store is rewritten after
    (:func:`~segwise.store.erasure.compact`), so the deleted rows' bytes are gone.
    """
    if not store.path.exists():
        return {}
    with store.writing() as connection:
        tables = table_names(connection)
        if "runs" not in tables:
            return {}
        counts = _counts(connection, tables, before)
        if dry_run or not counts["runs"]:
            return counts
        with transaction(connection):
            _create_kept(connection, before)
            for table in (t for t in BY_RUN if t in tables):
                connection.execute(
                    f"DELETE FROM {table} WHERE run_id IN ({_OLD})", {"before": before}
                )
            if "transitions" in tables:
                connection.execute(
                    f"DELETE FROM transitions WHERE run_id IN ({_OLD}) OR previous_run IN ({_OLD})",
                    {"before": before},
                )
            for table in (t for t in INTERVALS if t in tables):
                _cut(connection, table)
            connection.execute(f"DELETE FROM runs WHERE run_id IN ({_OLD})", {"before": before})
            connection.execute("DROP TABLE purge_kept")
    compact(store)  # a checkpoint would leave the deleted rows' bytes in free blocks
    return counts


def _create_kept(connection: duckdb.DuckDBPyConnection, before: date) -> None:
    connection.execute(
        f"CREATE TEMP TABLE purge_kept AS SELECT run_id FROM runs WHERE run_id NOT IN ({_OLD})",
        {"before": before},
    )


def _cut(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """Drop the intervals of only purged runs; cut the others to their kept runs."""
    connection.execute(f"DELETE FROM {table} WHERE " + _ORPHAN.format(t=table))
    inside = (
        f"k.run_id >= {table}.from_run AND ({table}.to_run IS NULL OR k.run_id <= {table}.to_run)"
    )
    connection.execute(
        f"UPDATE {table} SET from_run = (SELECT min(k.run_id) FROM purge_kept k WHERE {inside}) "
        "WHERE from_run NOT IN (SELECT run_id FROM purge_kept)"
    )
    connection.execute(
        f"UPDATE {table} SET to_run = (SELECT max(k.run_id) FROM purge_kept k WHERE {inside}) "
        "WHERE to_run IS NOT NULL AND to_run NOT IN (SELECT run_id FROM purge_kept)"
    )


def _counts(
    connection: duckdb.DuckDBPyConnection, tables: set[str], before: date
) -> dict[str, int]:
    """Rows each table would lose (intervals: those covering only purged runs)."""
    values = {"before": before}

    def count(sql: str) -> int:
        return int(connection.execute(sql, values).fetchall()[0][0])

    counts = {"runs": count(f"SELECT count(*) FROM ({_OLD})")}
    for table in (t for t in BY_RUN if t in tables):
        counts[table] = count(f"SELECT count(*) FROM {table} WHERE run_id IN ({_OLD})")
    kept = f"(SELECT run_id FROM runs WHERE run_id NOT IN ({_OLD}))"
    for table in (t for t in INTERVALS if t in tables):
        orphan = _ORPHAN.replace("purge_kept", kept).format(t=table)
        counts[table] = count(f"SELECT count(*) FROM {table} WHERE {orphan}")
    return counts
