"""What a run stores, and the one transaction that stores it.

A run's row, its segmentations' definitions, segment sizes and profiles, its
memberships as intervals (:mod:`segwise.store.intervals`), the movers' values
and the feature cache go in together or not at all.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from segwise.exceptions import ConfigError
from segwise.store import intervals, segment_counts
from segwise.store.definitions import definition_hash

if TYPE_CHECKING:
    from collections.abc import Callable

    import polars as pl


@dataclass
class SegmentationRecord:
    """One segmentation of a run: its definition, segment sizes/profiles and memberships.

    ``members`` has ``customer_id`` and ``segment`` (a customer appears once per
    segment it belongs to: once for exclusive schemes, possibly more for
    overlapping audiences). ``details`` has ``customer_id`` and the values the
    segment was decided from.
    """

    name: str
    method: str
    definition: dict[str, Any]
    segments: list[dict[str, Any]]
    members: pl.DataFrame
    #: Per customer, what the segment was decided from (RFM scores, predicted value):
    #: kept for the customers who move, so ``history`` can say why.
    details: pl.DataFrame | None = None


@dataclass
class RunRecord:
    """Everything one run stores."""

    project: str
    as_of: date
    config_hash: str
    config: str
    version: str
    engine: str
    customers: int
    started_at: datetime
    segmentations: list[SegmentationRecord] = field(default_factory=list)
    #: The run's customer table (one row per customer): movers' rows are kept.
    features: pl.DataFrame | None = None
    #: Each source's fingerprint when the run read it (``segwise refresh`` compares them).
    fingerprints: dict[str, Any] | None = None
    #: The whole customer table, kept (once, replaced each run) for ``segwise preview``.
    cached_features: pl.DataFrame | None = None
    #: Health findings of the run (``segmentation, segment, kind, level, value, message``).
    alerts: list[dict[str, Any]] = field(default_factory=list)
    #: B2B: each contact's account (``account_id, customer_id``), None when nothing is mapped.
    contacts: pl.DataFrame | None = None


def check_date_order(as_of: date, latest: tuple[int, date] | None) -> None:
    """Refuse a run dated before the newest stored run (``latest``: its id and as-of date).

    History reads runs in the order they were stored: changes, migrations, alerts and
    the KPI windows all go from one run to the next. A run dated earlier than the last
    would read as time going backwards (customers "leaving" segments they will join).
    The same day again is allowed: re-running after an edit is how definitions change.
    """
    if latest is None:
        return
    run_id, day = latest
    if as_of < day:
        raise ConfigError(
            f"as-of date {as_of} is before run {run_id}'s ({day}): runs are stored in date "
            "order, so history, changes and alerts read forwards",
            hint=f"run as of {day} or later; to fill in earlier dates, run them oldest first "
            "into a new store (`store:` in the project file)",
        )


def write_record(
    connection: duckdb.DuckDBPyConnection,
    record: RunRecord,
    progress: Callable[[str], None] | None,
) -> int:
    """Store a whole run (the caller holds the lock and the transaction is ours); its id."""
    connection.execute("BEGIN TRANSACTION")
    try:
        newest = connection.execute(
            "SELECT run_id, as_of FROM runs ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        check_date_order(record.as_of, None if newest is None else (newest[0], newest[1]))
        run_id = 1 if newest is None else int(newest[0]) + 1
        connection.execute(
            "INSERT INTO runs (run_id, project, started_at, finished_at, as_of, config_hash, "
            "config, segwise_version, engine, customers, fingerprints) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                record.project,
                record.started_at,
                datetime.now(),
                record.as_of,
                record.config_hash,
                record.config,
                record.version,
                record.engine,
                record.customers,
                None if record.fingerprints is None else json.dumps(record.fingerprints),
            ],
        )
        _write_definitions(connection, run_id, record, progress)
        if progress is not None:
            progress("storing memberships")
        try:
            intervals.write_memberships(
                connection,
                run_id,
                intervals.register_memberships(connection, record),
                distinct=lambda: intervals.one_segment_each(record),
            )
        finally:
            # After a failed statement the transaction is aborted and so is this cleanup:
            # the failure is the error to report, not the cleanup's.
            with contextlib.suppress(duckdb.Error):
                intervals.unregister_memberships(connection, record)
        if record.contacts is not None or _has_contacts(connection):
            intervals.write_contacts(connection, run_id, intervals.contacts_of(record))
        segment_counts.write_counts(connection, run_id)
        segment_counts.write_transitions(connection, run_id)
        try:
            intervals.write_moves(
                connection, run_id, intervals.register_features(connection, record)
            )
        finally:
            with contextlib.suppress(duckdb.Error):
                intervals.unregister_features(connection, record)
        intervals.compact(connection)
        cache = record.cached_features
        intervals.write_feature_cache(
            connection, record, None if cache is None else cache.to_arrow()
        )
        connection.execute("COMMIT")
    except BaseException:
        # A failed COMMIT (a full disk) has already ended the transaction: the
        # ROLLBACK's own "no transaction" error must not hide the real one.
        with contextlib.suppress(duckdb.Error):
            connection.execute("ROLLBACK")
        raise
    return run_id


def _write_definitions(
    connection: duckdb.DuckDBPyConnection,
    run_id: int,
    record: RunRecord,
    progress: Callable[[str], None] | None,
) -> None:
    """The run's segmentations, their segments' cards and its health alerts."""
    for segmentation in record.segmentations:
        if progress is not None:
            progress(f"storing {segmentation.name}")
        connection.execute(
            "INSERT INTO segmentations VALUES (?, ?, ?, ?, ?)",
            [
                run_id,
                segmentation.name,
                segmentation.method,
                json.dumps(segmentation.definition, default=str),
                definition_hash(segmentation.definition),
            ],
        )
        for segment in segmentation.segments:
            connection.execute(
                "INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    segmentation.name,
                    segment["name"],
                    segment["size"],
                    segment["share"],
                    json.dumps(segment, default=str),
                ],
            )
    for alert in record.alerts:
        connection.execute(
            "INSERT INTO alerts VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                alert["segmentation"],
                alert["segment"],
                alert["kind"],
                alert["level"],
                alert["value"],
                alert["message"],
            ],
        )


def _has_contacts(connection: duckdb.DuckDBPyConnection) -> bool:
    """Whether an earlier run stored contacts (whose intervals a run without them closes)."""
    found = connection.execute(
        "SELECT count(*) FROM contact_intervals WHERE to_run IS NULL"
    ).fetchall()
    return bool(found[0][0])
