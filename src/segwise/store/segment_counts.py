"""Members of each segment in each run, kept when the run is stored.

``changes`` reports how many customers each segment held in both runs. Counted from the
intervals, that is a scan of every membership ever stored: at 10M customers × 4
segmentations 574 ms, a third of the whole query, and the store paid it again on every
write (for the transitions). So each run's counts are written with the run, in its
transaction, from the intervals as that run left them. Erasure takes the erased customers
out of them and retention drops them with their runs, so they always equal a count of the
intervals (a test holds that). Runs stored before the table existed are counted from the
intervals, as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.store.history import migration_matrix
from segwise.store.intervals import COVERING, movers_sql
from segwise.store.schema import table_names

if TYPE_CHECKING:
    import duckdb

#: The erased customers' memberships, counted per run they held them in (``erased_ids``
#: holds their ids); taken off the stored counts before their intervals are deleted.
ERASE_FROM_COUNTS = """
UPDATE segment_counts SET members = segment_counts.members - gone.members
FROM (
    SELECT r.run_id, i.segmentation, i.segment, count(*) AS members
    FROM membership_intervals i
    JOIN runs r ON r.run_id >= i.from_run AND (i.to_run IS NULL OR r.run_id <= i.to_run)
    WHERE i.customer_id IN (SELECT id FROM erased_ids)
    GROUP BY r.run_id, i.segmentation, i.segment
) gone
WHERE segment_counts.run_id = gone.run_id AND segment_counts.segmentation = gone.segmentation
    AND segment_counts.segment = gone.segment"""


def write_counts(connection: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Count run ``run_id``'s members per segment (after its intervals are written)."""
    connection.execute(
        "INSERT INTO segment_counts SELECT $run, segmentation, segment, count(*) "
        f"FROM membership_intervals WHERE {COVERING} GROUP BY segmentation, segment",
        {"run": run_id},
    )


def counted(connection: duckdb.DuckDBPyConnection, first: int, second: int) -> bool:
    """Whether both runs' counts are stored (runs stored by an older segwise are not)."""
    if "segment_counts" not in table_names(connection):
        return False
    found = connection.execute(
        "SELECT count(DISTINCT run_id) FROM segment_counts WHERE run_id = ? OR run_id = ?",
        [first, second],
    ).fetchall()[0][0]
    return bool(found == len({first, second}))


def _only(segmentation: bool) -> str:
    return " AND segmentation = $segmentation" if segmentation else ""


def counts_sql(segmentation: bool = False) -> str:
    """Members of each segment in run ``$from`` and in run ``$to``, counted from the intervals."""
    return f"""
    SELECT segmentation, segment,
           count(*) FILTER (WHERE from_run <= $from AND (to_run IS NULL OR to_run >= $from))
               AS before,
           count(*) FILTER (WHERE from_run <= $to AND (to_run IS NULL OR to_run >= $to)) AS after
    FROM membership_intervals
    WHERE from_run <= greatest($from, $to){_only(segmentation)}
    GROUP BY segmentation, segment
    HAVING before > 0 OR after > 0
    ORDER BY segmentation, segment"""


def stored_counts_sql(segmentation: bool = False) -> str:
    """:func:`counts_sql`'s rows, read from the stored counts."""
    only = _only(segmentation)
    return f"""
    SELECT segmentation, segment,
           CAST(coalesce(sum(members) FILTER (WHERE run_id = $from), 0) AS BIGINT) AS before,
           CAST(coalesce(sum(members) FILTER (WHERE run_id = $to), 0) AS BIGINT) AS after
    FROM segment_counts
    WHERE (run_id = $from OR run_id = $to){only}
    GROUP BY segmentation, segment
    HAVING before > 0 OR after > 0
    ORDER BY segmentation, segment"""


def counts_query(
    connection: duckdb.DuckDBPyConnection, first: int, second: int, *, segmentation: bool = False
) -> str:
    """The query of each segment's members in runs ``$from`` and ``$to``: stored or counted."""
    if counted(connection, first, second):
        return stored_counts_sql(segmentation)
    return counts_sql(segmentation)


def write_transitions(connection: duckdb.DuckDBPyConnection, run_id: int) -> None:
    """Keep each segmentation's from → to counts between the previous run and this one.

    Forecasts are fitted on them, without recomputing the changes of every
    past pair of runs. Call after :func:`write_counts`.
    """
    previous = connection.execute(
        "SELECT max(run_id) FROM runs WHERE run_id < ?", [run_id]
    ).fetchall()[0][0]
    if previous is None:
        return
    values = {"from": previous, "to": run_id}
    counts = _polars(connection.sql(counts_query(connection, previous, run_id), params=values))
    movers = _polars(connection.sql(movers_sql(), params=values))
    connection.register("run_transitions", migration_matrix(counts, movers).to_arrow())
    connection.execute(
        "INSERT INTO transitions SELECT $run, $previous, segmentation, from_segment, "
        "to_segment, customers FROM run_transitions",
        {"run": run_id, "previous": previous},
    )
    connection.unregister("run_transitions")


def _polars(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    frame = pl.from_arrow(relation.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame
