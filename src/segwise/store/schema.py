"""The store's tables, their version, and the migration of stores written by older versions.

Version 2 keeps memberships as validity intervals: one row per customer,
segmentation and segment for each unbroken stretch of runs in which the
customer held that segment (``from_run`` to ``to_run``, both included;
``to_run`` is NULL while the membership is still held in the latest run). A
store grows with the number of changes, not with runs × customers.

Version 1 (segwise 0.1 before history) stored a full copy of every membership
per run in ``memberships``. It is migrated on first open, in one transaction,
with a copy of the old file kept until the migration commits.
"""

from __future__ import annotations

import contextlib
import shutil
from typing import TYPE_CHECKING

from segwise.store import intervals
from segwise.store.transaction import transaction

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import duckdb

VERSION = 2

TABLES = (
    """CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS runs (
        run_id INTEGER PRIMARY KEY, project VARCHAR, started_at TIMESTAMP,
        finished_at TIMESTAMP, as_of DATE, config_hash VARCHAR, config VARCHAR,
        segwise_version VARCHAR, engine VARCHAR, customers BIGINT, report VARCHAR,
        fingerprints VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS segmentations (
        run_id INTEGER, segmentation VARCHAR, method VARCHAR, definition VARCHAR,
        definition_hash VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS segments (
        run_id INTEGER, segmentation VARCHAR, segment VARCHAR, size BIGINT, share DOUBLE,
        profile VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS membership_intervals (
        segmentation VARCHAR, customer_id VARCHAR, segment VARCHAR,
        from_run INTEGER, to_run INTEGER)""",
    # Members of each segment in each run, written with the run (store/segment_counts.py).
    """CREATE TABLE IF NOT EXISTS segment_counts (
        run_id INTEGER, segmentation VARCHAR, segment VARCHAR, members BIGINT)""",
    # B2B: which contact belonged to which account, as intervals of runs like the memberships
    # (``segwise members --contacts`` expands an account segment to its people).
    """CREATE TABLE IF NOT EXISTS contact_intervals (
        account_id VARCHAR, customer_id VARCHAR, from_run INTEGER, to_run INTEGER)""",
    # Why customers moved: per run, the values a mover's reason is read from (the columns
    # the segmentations read, and their details), before and after, for movers only.
    """CREATE TABLE IF NOT EXISTS alerts (
        run_id INTEGER, segmentation VARCHAR, segment VARCHAR, kind VARCHAR, level VARCHAR,
        value DOUBLE, message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS failed_runs (
        started_at TIMESTAMP, failed_at TIMESTAMP, as_of VARCHAR, config_hash VARCHAR,
        error VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS moves (
        run_id INTEGER, customer_id VARCHAR, features_before VARCHAR, features_after VARCHAR)""",
    # From → to counts between each run and the one before it, per segmentation: what
    # forecasts are fitted on. Stores written before it existed recompute them from intervals.
    """CREATE TABLE IF NOT EXISTS transitions (
        run_id INTEGER, previous_run INTEGER, segmentation VARCHAR, from_segment VARCHAR,
        to_segment VARCHAR, customers BIGINT)""",
    # The service's API keys: only a salted scrypt hash of each secret (store/keys.py).
    """CREATE TABLE IF NOT EXISTS api_keys (
        key_id VARCHAR PRIMARY KEY, name VARCHAR, role VARCHAR, salt VARCHAR, hash VARCHAR,
        created_at TIMESTAMP, revoked_at TIMESTAMP, grants VARCHAR)""",
    # Who changed which definition, ran what, exported what, when (store/audit.py).
    """CREATE TABLE IF NOT EXISTS audit_log (
        happened_at TIMESTAMP, actor VARCHAR, role VARCHAR, action VARCHAR, target VARCHAR,
        detail VARCHAR)""",
    # What each destination holds, as last sent: the next sync diffs against it (store/sync.py).
    # ``fingerprint`` is a hash of the identifiers sent (never the identifiers themselves).
    """CREATE TABLE IF NOT EXISTS sync_state (
        destination VARCHAR, segmentation VARCHAR, segment VARCHAR, customer_id VARCHAR,
        fingerprint VARCHAR, delivery_id VARCHAR, sent_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS deliveries (
        delivery_id VARCHAR, destination VARCHAR, run_id INTEGER, started_at TIMESTAMP,
        finished_at TIMESTAMP, status VARCHAR, adds BIGINT, removes BIGINT, target VARCHAR,
        message VARCHAR)""",
    # Webhook batches, queued with the state change they carry and sent after it: a sync
    # killed mid-way re-sends exactly these (same id, same body) before planning new ones.
    # ``body`` is cleared once delivered (it holds identifiers).
    """CREATE TABLE IF NOT EXISTS outbox (
        destination VARCHAR, delivery_id VARCHAR, batch INTEGER, batches INTEGER,
        webhook_id VARCHAR, sequence BIGINT, rows INTEGER, body BLOB, status VARCHAR,
        attempts INTEGER, http_status INTEGER, error VARCHAR, queued_at TIMESTAMP,
        sent_at TIMESTAMP, elapsed_ms DOUBLE)""",
    # The runs whose moves each trigger has sent to each of its destinations.
    """CREATE TABLE IF NOT EXISTS trigger_runs (
        trigger VARCHAR, destination VARCHAR, run_id INTEGER, entered BIGINT, exited BIGINT,
        fired_at TIMESTAMP)""",
    # Every analysed experiment (store/experiments.py): its design and whole readout, and one
    # row per segment, variant and metric, so "what worked in this segment" is a query.
    """CREATE TABLE IF NOT EXISTS experiments (
        experiment VARCHAR, segmentation VARCHAR, analysed_at TIMESTAMP, control VARCHAR,
        variants VARCHAR, srm_flagged BOOLEAN, design VARCHAR, readout VARCHAR)""",
    # Erased customers (``segwise forget``), as keyed hashes of their ids: a later run drops
    # their rows from the sources again; the key is never in the store (privacy/secret.py).
    """CREATE TABLE IF NOT EXISTS tombstones (hash VARCHAR PRIMARY KEY, erased_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS experiment_findings (
        experiment VARCHAR, segmentation VARCHAR, analysed_at TIMESTAMP, segment VARCHAR,
        variant VARCHAR, metric VARCHAR, n BIGINT, control_n BIGINT, lift DOUBLE,
        ci_low DOUBLE, ci_high DOUBLE, p_adjusted DOUBLE, significant BOOLEAN, verdict VARCHAR)""",
)


def table_names(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """The tables of the store's main schema."""
    rows = connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
    ).fetchall()
    return {row[0] for row in rows}


def needs_migration(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store holds version-1 snapshots (a ``memberships`` table)."""
    return "memberships" in table_names(connection)


def create(connection: duckdb.DuckDBPyConnection) -> None:
    """Create the tables a new store needs (nothing happens to existing ones)."""
    tables = table_names(connection)
    if "runs" in tables:
        columns = {row[0] for row in connection.execute("DESCRIBE runs").fetchall()}
        if "report" not in columns:
            # Runs stored before reports were tracked: '' (unknown), not NULL (missing).
            connection.execute("ALTER TABLE runs ADD COLUMN report VARCHAR DEFAULT NULL")
            connection.execute("UPDATE runs SET report = ''")
        if "fingerprints" not in columns:
            connection.execute("ALTER TABLE runs ADD COLUMN fingerprints VARCHAR DEFAULT NULL")
    if "segmentations" in tables:
        columns = {row[0] for row in connection.execute("DESCRIBE segmentations").fetchall()}
        if "definition_hash" not in columns:
            connection.execute(
                "ALTER TABLE segmentations ADD COLUMN definition_hash VARCHAR DEFAULT NULL"
            )
    if "api_keys" in tables:
        columns = {row[0] for row in connection.execute("DESCRIBE api_keys").fetchall()}
        if "grants" not in columns:
            connection.execute("ALTER TABLE api_keys ADD COLUMN grants VARCHAR DEFAULT NULL")
    for statement in TABLES:
        connection.execute(statement)
    connection.execute(
        "INSERT OR REPLACE INTO store_meta VALUES ('schema_version', ?)", [str(VERSION)]
    )


#: Version-1 snapshots → intervals: the store's runs are numbered in order; a customer's
#: stretch of consecutive runs in a segment (gaps and islands) is one interval, open when it
#: reaches the latest run. A run without the segmentation breaks the stretch.
_INTERVALS_FROM_SNAPSHOTS = """
INSERT INTO membership_intervals
WITH ranked_runs AS (
    SELECT run_id, row_number() OVER (ORDER BY run_id) AS position FROM runs
),
held AS (
    SELECT DISTINCT m.segmentation, m.customer_id, m.segment, m.run_id, r.position
    FROM memberships m JOIN ranked_runs r USING (run_id)
),
islands AS (
    SELECT *, position - row_number() OVER (
        PARTITION BY segmentation, customer_id, segment ORDER BY run_id) AS island
    FROM held
)
SELECT segmentation, customer_id, segment, min(run_id) AS from_run,
       CASE WHEN max(run_id) = (SELECT max(run_id) FROM runs) THEN NULL
            ELSE max(run_id) END AS to_run
FROM islands
GROUP BY segmentation, customer_id, segment, island
ORDER BY segmentation, customer_id, from_run
"""


def migrate(connect: Callable[[], duckdb.DuckDBPyConnection], path: Path) -> None:
    """Turn a version-1 store into version 2, in one transaction, keeping a backup until done.

    The caller holds the store's lock; ``connect`` opens it read-write. The copy
    ``<store>.v1.bak`` is removed only once the migration has committed; a failure
    rolls back and leaves both the store and the copy as they were. The copy is
    taken with no connection open: DuckDB locks the file with POSIX record locks,
    which closing the copy's own handle of the file would drop.
    """
    with contextlib.closing(connect()) as connection:
        if not needs_migration(connection):  # another process may have done it
            return
        connection.execute("CHECKPOINT")
    backup = path.with_name(path.name + ".v1.bak")
    shutil.copy2(path, backup)
    with contextlib.closing(connect()) as connection:
        with transaction(connection):
            create(connection)
            connection.execute(_INTERVALS_FROM_SNAPSHOTS)
            found = connection.execute("SELECT count(*) FROM membership_intervals").fetchall()
            intervals.mark_in_order(connection, found[0][0])
            connection.execute("DROP TABLE memberships")
        connection.execute("CHECKPOINT")
    backup.unlink(missing_ok=True)
