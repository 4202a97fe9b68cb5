"""Sync state: what each destination holds as last sent, and the log of deliveries.

A sync diffs the segments against what was *sent*, not against the previous
run, so a failed or skipped sync is caught up by the next one. The state
changes and the delivery's log entry are written in one transaction, after
the delivery itself: a sync killed between the two sends the same delivery
again (same id, same content), never a different one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from segwise.store.outbox import enqueue
from segwise.store.schema import table_names
from segwise.store.transaction import transaction

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb

    from segwise.store.outbox import Batch
    from segwise.store.workspace import Workspace

#: The columns of a destination's state, and of the adds and removes that change it.
STATE = pl.Schema(
    {
        "segmentation": pl.String(),
        "segment": pl.String(),
        "customer_id": pl.String(),
        "fingerprint": pl.String(),
    }
)
_KEYS = ["segmentation", "segment", "customer_id"]

#: An experiment's variants are sent as the segments of the segmentation ``experiment:<name>``
#: (``segwise experiment assign --destination``): a scope of the state of their own, which
#: the segments' syncs leave alone.
EXPERIMENT_SCOPE = "experiment:"


def experiment_scope(experiment: str) -> str:
    """The segmentation an experiment's variants are sent and kept under."""
    return EXPERIMENT_SCOPE + experiment


def _in_scope(scope: str | None) -> tuple[str, str]:
    """SQL on ``segmentation`` (reading ``$scope``) for a scope, and the value of ``$scope``.

    A scope is one experiment's rows, or the segments' (None): all but experiments'.
    """
    if scope is None:
        return "NOT starts_with(segmentation, $scope)", EXPERIMENT_SCOPE
    return "segmentation = $scope", scope


@dataclass(frozen=True)
class Delivery:
    """One sync of one destination, as the log keeps it."""

    delivery_id: str
    destination: str
    run_id: int
    started_at: datetime
    status: str  # delivered, unchanged; webhooks: queued, then delivered or failed
    adds: int
    removes: int
    target: str
    message: str = ""


def sent(store: Workspace, destination: str, scope: str | None = None) -> pl.DataFrame:
    """What ``destination`` holds as last sent (empty before its first sync).

    ``scope``: the segments' state (None), or one experiment's (:func:`experiment_scope`).
    """
    where, value = _in_scope(scope)
    found = _query(
        store,
        "sync_state",
        "SELECT segmentation, segment, customer_id, fingerprint FROM sync_state "
        "WHERE destination = $destination AND " + where,
        {"destination": destination, "scope": value},
    )
    return pl.DataFrame(schema=STATE) if found is None else found.cast(STATE)


def held_for(store: Workspace, destination: str, customer_ids: Sequence[str]) -> pl.DataFrame:
    """The rows ``destination`` holds for ``customer_ids``, in every scope (:data:`STATE`)."""
    with store.reading() as connection:
        if "sync_state" not in table_names(connection):
            return pl.DataFrame(schema=STATE)
        connection.register("held_ids", pl.DataFrame({"id": list(customer_ids)}).to_arrow())
        found = pl.from_arrow(
            connection.sql(
                "SELECT segmentation, segment, customer_id, fingerprint FROM sync_state "
                "WHERE destination = $d AND customer_id IN (SELECT id FROM held_ids) ORDER BY ALL",
                params={"d": destination},
            ).to_arrow_table()
        )
        connection.unregister("held_ids")
    assert isinstance(found, pl.DataFrame)
    return found.cast(STATE)


def commit(
    store: Workspace,
    delivery: Delivery,
    *,
    adds: pl.DataFrame,
    removes: pl.DataFrame,
    replace: bool = False,
    batches: Sequence[Batch] = (),
    scope: str | None = None,
) -> None:
    """Record a delivery and apply what it sent to the state, in one transaction.

    ``replace`` (snapshot mode) makes ``adds`` the whole state of the destination
    within ``scope`` (the segments', or one experiment's: see :func:`sent`).
    An add replaces the row of the same customer and segment (a changed identifier).
    ``batches`` (webhooks) are queued in the outbox by the same transaction, to be
    sent after it.
    """
    now = datetime.now()
    with store.writing() as connection:
        connection.register("sync_adds", adds.select(list(STATE)).to_arrow())
        connection.register("sync_removes", removes.select(list(STATE)).to_arrow())
        try:
            with transaction(connection):
                if replace:
                    where, value = _in_scope(scope)
                    connection.execute(
                        "DELETE FROM sync_state WHERE destination = $destination AND " + where,
                        {"destination": delivery.destination, "scope": value},
                    )
                for table in ("sync_removes", "sync_adds"):
                    connection.execute(
                        "DELETE FROM sync_state s USING " + table + " r WHERE s.destination = ? "
                        "AND s.segmentation = r.segmentation AND s.segment = r.segment "
                        "AND s.customer_id = r.customer_id",
                        [delivery.destination],
                    )
                connection.execute(
                    "INSERT INTO sync_state SELECT ?, segmentation, segment, customer_id, "
                    "fingerprint, ?, ? FROM sync_adds",
                    [delivery.destination, delivery.delivery_id, now],
                )
                log_delivery(connection, delivery, now)
                enqueue(connection, delivery.destination, batches, now)
        finally:
            connection.unregister("sync_adds")
            connection.unregister("sync_removes")


def log_only(store: Workspace, delivery: Delivery) -> None:
    """Record a delivery that changed nothing (skipped, or failed before sending)."""
    with store.writing() as connection:
        log_delivery(connection, delivery, datetime.now())


def log_delivery(connection: duckdb.DuckDBPyConnection, delivery: Delivery, now: datetime) -> None:
    """Add ``delivery`` to the log (inside the caller's transaction)."""
    connection.execute(
        "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            delivery.delivery_id,
            delivery.destination,
            delivery.run_id,
            delivery.started_at,
            now,
            delivery.status,
            delivery.adds,
            delivery.removes,
            delivery.target,
            delivery.message,
        ],
    )


def previous_delivery(store: Workspace, destination: str) -> str:
    """The id of the destination's last delivery that changed its state ('' before any).

    New delivery ids are derived from it, so the same changes sent again later (a
    customer added, removed, then added back in one run) get a new id, while a sync
    killed before it recorded anything plans the very same id again.
    """
    found = _query(
        store,
        "deliveries",
        "SELECT delivery_id FROM deliveries WHERE destination = $destination "
        "AND status NOT IN ('unchanged', 'skipped') ORDER BY started_at DESC, finished_at DESC "
        "LIMIT 1",
        {"destination": destination},
    )
    return "" if found is None else str(found["delivery_id"][0])


def deliveries(store: Workspace, destination: str | None = None) -> pl.DataFrame:
    """The delivery log, newest first; webhook deliveries count their batches and failures."""
    where = "" if destination is None else " WHERE d.destination = $destination"
    with_outbox = store.path.exists() and _has_table(store, "outbox")
    batches = (
        "(SELECT count(*) FROM outbox o WHERE o.destination = d.destination AND "
        "o.delivery_id = d.delivery_id)"
        if with_outbox
        else "0"
    )
    failed = (
        "(SELECT count(*) FROM outbox o WHERE o.destination = d.destination AND "
        "o.delivery_id = d.delivery_id AND o.status = 'failed')"
        if with_outbox
        else "0"
    )
    found = _query(
        store,
        "deliveries",
        "SELECT delivery_id, destination, run_id, started_at, finished_at, status, adds, "
        f"removes, {batches} AS batches, {failed} AS failed_batches, target, message "
        "FROM deliveries d" + where + " ORDER BY finished_at DESC",
        None if destination is None else {"destination": destination},
    )
    return pl.DataFrame(schema=_LOG) if found is None else found.cast(_LOG)


def _has_table(store: Workspace, table: str) -> bool:
    with store.reading() as connection:
        return table in table_names(connection)


def _query(
    store: Workspace, table: str, sql: str, params: dict[str, object] | None
) -> pl.DataFrame | None:
    """``sql``'s rows, or None when the store or ``table`` does not exist yet."""
    if not store.path.exists():
        return None
    with store.reading() as connection:
        if table not in table_names(connection):
            return None
        found = pl.from_arrow(connection.sql(sql, params=params).to_arrow_table())
    assert isinstance(found, pl.DataFrame)
    return found if found.height else None


_LOG = pl.Schema(
    {
        "delivery_id": pl.String(),
        "destination": pl.String(),
        "run_id": pl.Int32(),
        "started_at": pl.Datetime("us"),
        "finished_at": pl.Datetime("us"),
        "status": pl.String(),
        "adds": pl.Int64(),
        "removes": pl.Int64(),
        "batches": pl.Int64(),
        "failed_batches": pl.Int64(),
        "target": pl.String(),
        "message": pl.String(),
    }
)
