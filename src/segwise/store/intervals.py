"""Memberships as validity intervals: writing a run, and reading any run back.

A run's memberships are compared with the open intervals, inside the run's
transaction: an interval whose membership is no longer held ends at the
previous run, a membership not yet held opens an interval at this run, and
everything unchanged is left alone. Reading run ``N`` is the intervals that
cover it. The customers whose memberships changed are the run's movers; their
features before and after are kept (only theirs) so ``history`` can say why.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import polars as pl

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from segwise.store.records import RunRecord

#: The intervals that hold in run ``?`` (one parameter: the run id).
COVERING = "from_run <= $run AND (to_run IS NULL OR to_run >= $run)"


def snapshot_sql(segmentation: bool = False) -> str:
    """Memberships of run ``$run`` (and of segmentation ``$segmentation`` when asked)."""
    where = COVERING + (" AND segmentation = $segmentation" if segmentation else "")
    return f"SELECT segmentation, customer_id, segment FROM membership_intervals WHERE {where}"


class Part(NamedTuple):
    """One segmentation's ``customer_id, segment`` rows, registered on the connection."""

    table: str
    #: The rows come in customer id order: a first run stores them without sorting
    #: (40M rows at 10M customers: 7.9 s against 13.4 s sorted by DuckDB).
    in_order: bool = False


def write_memberships(
    connection: duckdb.DuckDBPyConnection,
    run_id: int,
    parts: dict[str, Part],
    *,
    distinct: Callable[[], bool] | None = None,
) -> None:
    """Store run ``run_id``'s memberships as intervals.

    ``parts`` names, for each segmentation of the run, a table registered on
    ``connection`` with its ``customer_id, segment`` rows
    (:func:`register_memberships`). Each segmentation is compared with its own
    open intervals: four joins of 10M rows took 4.1-4.6 s where one join of all
    40M took 11-12 s (DuckDB at the store's 2 GB memory limit).

    Every segmentation of the store that this run lacks has its intervals
    closed too: a segmentation removed from the project holds no one.
    ``distinct`` answers whether the rows hold no duplicate (see
    :func:`one_segment_each`), which spares a store's first run a hash of them all.
    It is asked on a first run only: later runs keep only the changed rows before
    removing repeats, and the answer costs a count of distinct ids (3.7 s a run at
    10M customers × 4 segmentations).
    """
    first = _write_intervals(
        connection,
        run_id,
        None,
        table="membership_intervals",
        keys=("segmentation", "customer_id", "segment"),
        distinct=distinct,
        parts=parts,
    )
    if first:  # the first run's rows went in in order
        rows = connection.execute("SELECT count(*) FROM membership_intervals").fetchall()[0][0]
        mark_in_order(connection, rows)


def write_contacts(connection: duckdb.DuckDBPyConnection, run_id: int, incoming: Any) -> None:
    """Store run ``run_id``'s contact → account mapping (``account_id, customer_id``).

    As intervals, like the memberships: a run without a mapping closes them all.
    """
    _write_intervals(
        connection, run_id, incoming, table="contact_intervals", keys=("account_id", "customer_id")
    )


def _write_intervals(
    connection: duckdb.DuckDBPyConnection,
    run_id: int,
    incoming: Any,
    *,
    table: str,
    keys: tuple[str, ...],
    distinct: Callable[[], bool] | None = None,
    parts: dict[str, Part] | None = None,
) -> bool:
    """Close the open intervals this run no longer holds, open the new ones; True on a first run.

    With ``parts`` (``keys[0]``'s value → a registered table of the other keys)
    everything is read part by part and ``incoming`` is not used.
    """
    previous = connection.execute(
        "SELECT max(run_id) FROM runs WHERE run_id < ?", [run_id]
    ).fetchall()[0][0]
    columns = ", ".join(keys)
    order = ", ".join(keys[:2])
    if previous is None and distinct is not None and distinct():
        # Everything opens: no join, no DISTINCT (at 40M rows the DISTINCT alone took 9 s).
        if parts is not None:
            # In key order part by part; a part already in order is not sorted again.
            for label in sorted(parts):
                part = parts[label]
                connection.execute(
                    f"INSERT INTO {table} SELECT $label, {', '.join(keys[1:])}, $run, NULL "
                    f"FROM {part.table}" + ("" if part.in_order else f" ORDER BY {keys[1]}"),
                    {"label": label, "run": run_id},
                )
            return True
        with _incoming(connection, incoming):
            connection.execute(
                f"INSERT INTO {table} SELECT {columns}, $run, NULL FROM incoming_raw "
                f"ORDER BY {order}",
                {"run": run_id},
            )
        return True
    # One full join of the open intervals with the run finds both changes at once (two
    # anti-joins cost twice: 4.6 → 1.5 s a run at 8M memberships); only the few rows
    # that differ are kept, so the update and the insert touch nothing else.
    if parts is None:
        same = " AND ".join(f"o.{k} = i.{k}" for k in keys)
        with _incoming(connection, incoming):
            connection.execute(
                f"""CREATE OR REPLACE TEMP TABLE interval_changes AS
                SELECT o.open_row, {", ".join(f"i.{k}" for k in keys)}
                FROM (SELECT rowid AS open_row, {columns} FROM {table} WHERE to_run IS NULL) o
                FULL JOIN incoming_raw i ON {same}
                WHERE o.open_row IS NULL OR i.{keys[-1]} IS NULL"""
            )
    else:
        _changes_by_part(connection, table, keys, parts)
    if previous is not None:
        connection.execute(
            f"""UPDATE {table} SET to_run = $previous WHERE rowid IN
            (SELECT open_row FROM interval_changes WHERE open_row IS NOT NULL)""",
            {"previous": previous},
        )
    connection.execute(
        f"""INSERT INTO {table}
        SELECT DISTINCT {columns}, $run, NULL FROM interval_changes
        WHERE open_row IS NULL ORDER BY {order}""",
        {"run": run_id},
    )
    connection.execute("DROP TABLE interval_changes")
    return previous is None


def _changes_by_part(
    connection: duckdb.DuckDBPyConnection, table: str, keys: tuple[str, ...], parts: dict[str, Part]
) -> None:
    """``interval_changes`` found one part (one value of ``keys[0]``) at a time."""
    split_by, rest = keys[0], keys[1:]
    columns = ", ".join(keys)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE interval_changes AS "
        f"SELECT rowid AS open_row, {columns} FROM {table} WHERE false"
    )
    same = " AND ".join(f"o.{k} = i.{k}" for k in rest)
    for label, part in parts.items():
        connection.execute(
            f"""INSERT INTO interval_changes
            SELECT o.open_row, $label, {", ".join(f"i.{k}" for k in rest)}
            FROM (SELECT rowid AS open_row, {", ".join(rest)} FROM {table}
                  WHERE to_run IS NULL AND {split_by} = $label) o
            FULL JOIN {part.table} i ON {same}
            WHERE o.open_row IS NULL OR i.{keys[-1]} IS NULL""",
            {"label": label},
        )
    # A part the run lacks holds no one now: its open intervals all close.
    connection.execute(
        f"""INSERT INTO interval_changes (open_row)
        SELECT rowid FROM {table}
        WHERE to_run IS NULL AND NOT list_contains($labels::VARCHAR[], {split_by})""",
        {"labels": list(parts)},
    )


#: Compaction: rewrite the intervals in key order once this many rows (and this share of
#: the table) were appended since the last rewrite. Below that a scan costs milliseconds.
COMPACT_ROWS = 1_000_000
COMPACT_SHARE = 0.1
#: The order the intervals are kept in: a segmentation's rows together (``members`` reads one
#: segmentation), and within it by customer (``history`` reads one customer), so DuckDB's
#: per-row-group min/max skip the rest.
ORDER = "segmentation, customer_id, from_run"


def compact(connection: duckdb.DuckDBPyConnection, *, force: bool = False) -> bool:
    """Rewrite the intervals in :data:`ORDER` when enough rows were appended since the last time.

    Each run appends its new intervals at the end (its own rows in order, but
    spanning every customer), so after many runs the appended rows defeat the
    row-group statistics the point queries rely on. Runs in the caller's
    transaction; returns whether it rewrote.
    """
    total = connection.execute("SELECT count(*) FROM membership_intervals").fetchall()[0][0]
    kept = connection.execute(
        "SELECT value FROM store_meta WHERE key = 'intervals_in_order'"
    ).fetchall()
    in_order = int(kept[0][0]) if kept else 0
    appended = total - in_order
    if not force and (appended < COMPACT_ROWS or appended < COMPACT_SHARE * total):
        return False
    connection.execute(
        f"CREATE TABLE membership_intervals_ordered AS "
        f"SELECT * FROM membership_intervals ORDER BY {ORDER}"
    )
    connection.execute("DROP TABLE membership_intervals")
    connection.execute("ALTER TABLE membership_intervals_ordered RENAME TO membership_intervals")
    mark_in_order(connection, total)
    return True


def mark_in_order(connection: duckdb.DuckDBPyConnection, rows: int) -> None:
    """Record that the first ``rows`` intervals are in :data:`ORDER`."""
    connection.execute(
        "INSERT OR REPLACE INTO store_meta VALUES ('intervals_in_order', ?)", [str(rows)]
    )


def write_moves(connection: duckdb.DuckDBPyConnection, run_id: int, features: str | None) -> None:
    """Keep the movers' features before (the last run's) and after (this run's).

    ``features`` is a query of this run's customer table (with each
    segmentation's details, such as RFM scores; :func:`register_features`); it
    then replaces the kept copy of the latest features, which the next run's
    movers are read from.
    """
    if features is None:
        return
    connection.execute(f"CREATE OR REPLACE TEMP VIEW incoming_features AS {features}")
    kept = "latest_features" in {
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    first = not connection.execute(
        "SELECT count(*) FROM runs WHERE run_id < ?", [run_id]
    ).fetchall()[0][0]
    if not first:  # on a first run everyone "enters", and no change is explained
        _insert_moves(connection, run_id, kept=kept)
    connection.execute("CREATE OR REPLACE TABLE latest_features AS SELECT * FROM incoming_features")
    connection.execute("DROP VIEW incoming_features")


def _insert_moves(connection: duckdb.DuckDBPyConnection, run_id: int, *, kept: bool) -> None:
    # Joins, not a subquery per mover: 0.77 → 0.13 s for 80,000 movers of 2M customers.
    before = "CASE WHEN l.customer_id IS NOT NULL THEN to_json(l) END" if kept else "NULL"
    join_before = (
        "LEFT JOIN latest_features l ON l.customer_id = movers.customer_id" if kept else ""
    )
    connection.execute(
        f"""INSERT INTO moves
        WITH movers AS (
            SELECT DISTINCT customer_id FROM membership_intervals
            WHERE from_run = $run OR to_run = (SELECT max(run_id) FROM runs WHERE run_id < $run)
        )
        SELECT $run, movers.customer_id, {before},
            CASE WHEN f.customer_id IS NOT NULL THEN to_json(f) END
        FROM movers {join_before}
        LEFT JOIN incoming_features f ON f.customer_id = movers.customer_id""",
        {"run": run_id},
    )


def _only(segmentation: bool) -> str:
    return " AND segmentation = $segmentation" if segmentation else ""


def movers_sql(segmentation: bool = False) -> str:
    """Who entered and who left each segment between runs ``$from`` < ``$to`` (in no order).

    Only intervals that begin or end between the two runs can differ: those
    that begin after ``$from`` and hold at ``$to`` (entering) and those that
    hold at ``$from`` and end before ``$to`` (leaving). A customer in both
    with the same membership left and came back, which is no move: the two
    cancel out in the sum.
    """
    only = _only(segmentation)
    return f"""
    SELECT segmentation, segment, customer_id,
           CASE WHEN sum(side) > 0 THEN 'entered' ELSE 'exited' END AS change
    FROM (
        SELECT segmentation, segment, customer_id, 1 AS side FROM membership_intervals
        WHERE from_run > $from AND from_run <= $to AND (to_run IS NULL OR to_run >= $to){only}
        UNION ALL
        SELECT segmentation, segment, customer_id, -1 AS side FROM membership_intervals
        WHERE from_run <= $from AND to_run >= $from AND to_run < $to{only})
    GROUP BY segmentation, segment, customer_id
    HAVING sum(side) <> 0"""


def history_sql() -> str:
    """One customer's intervals with the as-of dates of the runs they span."""
    return """
    SELECT i.segmentation, i.segment, i.from_run, i.to_run,
           f.as_of AS from_as_of, t.as_of AS to_as_of
    FROM membership_intervals i
    JOIN runs f ON f.run_id = i.from_run
    LEFT JOIN runs t ON t.run_id = i.to_run
    WHERE i.customer_id = $customer
    ORDER BY i.segmentation, i.from_run"""


def params(**values: Any) -> dict[str, Any]:
    """Named query parameters (DuckDB refuses unused ones, so only those given)."""
    return {k: v for k, v in values.items() if v is not None}


@contextlib.contextmanager
def _incoming(connection: duckdb.DuckDBPyConnection, incoming: Any) -> Iterator[None]:
    """``incoming`` as ``incoming_raw``: an Arrow table, or a query over registered ones."""
    if isinstance(incoming, str):
        connection.execute(f"CREATE OR REPLACE TEMP VIEW incoming_raw AS {incoming}")
        try:
            yield
        finally:
            # A failed statement aborts the transaction, and this cleanup with it: the
            # failure is the error to report (the rollback drops the view anyway).
            with contextlib.suppress(duckdb.Error):
                connection.execute("DROP VIEW IF EXISTS incoming_raw")
        return
    connection.register("incoming_raw", incoming)
    try:
        yield
    finally:
        with contextlib.suppress(duckdb.Error):
            connection.unregister("incoming_raw")


def register_memberships(
    connection: duckdb.DuckDBPyConnection, record: RunRecord
) -> dict[str, Part]:
    """Register each segmentation's ``customer_id, segment`` rows: segmentation → its part.

    Each segmentation's table is handed to DuckDB as it is: the stacked table (at
    10M customers × 5 segmentations, 50M rows of text) is never built here.
    :func:`unregister_memberships` lets go of them.
    """
    parts = {}
    for number, segmentation in enumerate(record.segmentations):
        name = f"run_members_{number}"
        members = segmentation.members.select(
            pl.col("customer_id").cast(pl.String), pl.col("segment").cast(pl.String)
        )
        connection.register(name, members.to_arrow())
        # DuckDB orders text by its bytes, as Polars does (a 10M-id check: 26 ms).
        in_order = bool(members.get_column("customer_id").is_sorted())
        parts[segmentation.name] = Part(name, in_order)
    return parts


def unregister_memberships(connection: duckdb.DuckDBPyConnection, record: RunRecord) -> None:
    """Let go of the tables :func:`register_memberships` registered."""
    for number in range(len(record.segmentations)):
        connection.unregister(f"run_members_{number}")


def memberships_of(record: RunRecord) -> Any:
    """Every segmentation's memberships as one Arrow table: segmentation, customer, segment."""
    frames = [
        s.members.select(
            pl.lit(s.name).alias("segmentation"),
            pl.col("customer_id").cast(pl.String),
            pl.col("segment").cast(pl.String),
        )
        for s in record.segmentations
    ]
    empty = pl.DataFrame(
        schema={"segmentation": pl.String, "customer_id": pl.String, "segment": pl.String}
    )
    return pl.concat([empty, *frames]).to_arrow()


def one_segment_each(record: RunRecord) -> bool:
    """Whether each segmentation holds every customer at most once (then no row repeats).

    True of every exclusive segmentation; a count of distinct ids, far cheaper
    than a DISTINCT over the three text columns of every membership.
    """
    return all(
        s.members.height == s.members.get_column("customer_id").n_unique()
        for s in record.segmentations
    )


def contacts_of(record: RunRecord) -> Any:
    """The run's contact → account mapping as an Arrow table (empty when nothing is mapped)."""
    schema = {"account_id": pl.String, "customer_id": pl.String}
    if record.contacts is None:
        return pl.DataFrame(schema=schema).to_arrow()
    return record.contacts.select(pl.col(k).cast(pl.String) for k in schema).to_arrow()


def register_features(connection: duckdb.DuckDBPyConnection, record: RunRecord) -> str | None:
    """The customer table and each segmentation's details, as one SQL query over them.

    Each table is registered with DuckDB as it is (Arrow, no copy) and joined
    there, on customer id, into ``<segmentation>.<column>`` columns: the wide
    table is never built in this process (at 10M customers it was gigabytes).
    Returns None when the run keeps no customer table; :func:`unregister_features`
    lets go of the tables.
    """
    if record.features is None:
        return None
    connection.register("run_features", _with_text_ids(record.features).to_arrow())
    columns, joins = ["f.*"], []
    for number, segmentation in enumerate(record.segmentations):
        if segmentation.details is None:
            continue
        name = f"run_details_{number}"
        connection.register(name, _with_text_ids(segmentation.details).to_arrow())
        columns += [
            f"{name}.{quote(c)} AS {quote(f'{segmentation.name}.{c}')}"
            for c in segmentation.details.columns
            if c != "customer_id"
        ]
        joins.append(f"LEFT JOIN {name} ON {name}.customer_id = f.customer_id")
    return f"SELECT {', '.join(columns)} FROM run_features f {' '.join(joins)}"


def unregister_features(connection: duckdb.DuckDBPyConnection, record: RunRecord) -> None:
    """Let go of the tables :func:`register_features` registered."""
    if record.features is None:
        return
    connection.unregister("run_features")
    for number, segmentation in enumerate(record.segmentations):
        if segmentation.details is not None:
            connection.unregister(f"run_details_{number}")


def _with_text_ids(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.schema["customer_id"] == pl.String:
        return frame
    return frame.with_columns(pl.col("customer_id").cast(pl.String))


def quote(name: str) -> str:
    """``name`` as a SQL identifier (in double quotes, inner quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


def write_feature_cache(
    connection: duckdb.DuckDBPyConnection, record: RunRecord, features: Any
) -> None:
    """Keep the run's whole customer table, keyed by its sources' fingerprints.

    ``segwise preview`` evaluates an edited project on it instead of reading
    the sources again, as long as they have not changed.
    """
    if features is None or record.fingerprints is None:
        return
    connection.register("cached_features", features)
    connection.execute("CREATE OR REPLACE TABLE feature_cache AS SELECT * FROM cached_features")
    connection.unregister("cached_features")
    # With the version that computed it: a release that changes a feature must not be
    # previewed on the last release's values.
    key = json.dumps(
        {
            "fingerprints": record.fingerprints,
            "as_of": record.as_of.isoformat(),
            "version": record.version,
        }
    )
    connection.execute("INSERT OR REPLACE INTO store_meta VALUES ('feature_cache', ?)", [key])
