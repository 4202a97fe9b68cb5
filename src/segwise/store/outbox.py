"""The webhook outbox: batches queued with their state change, then sent and marked.

A webhook sync writes its batches here in the same transaction that moves the
destination's sync state (:func:`segwise.store.sync.commit`), and only then
sends them. Whatever happens next (a receiver down, a SIGKILL), the batches
not yet marked delivered are sent again, first thing, by the next sync: same
``webhook-id``, same body. A receiver therefore sees every change, and sees a
change twice only under the same idempotency key.

Delivered batches keep their log row (attempts, HTTP status, timing) but not
their body, which holds identifiers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

from segwise.store.schema import table_names
from segwise.store.transaction import transaction

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    import duckdb

    from segwise.store.workspace import Workspace


@dataclass(frozen=True)
class Batch:
    """One POST: its idempotency key, its place in the delivery and the body to sign."""

    webhook_id: str
    delivery_id: str
    batch: int  # 1-based, within the delivery
    batches: int
    sequence: int  # increasing per destination: receivers apply the newest change per member
    rows: int
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What became of one batch in one sync."""

    webhook_id: str
    status: str  # delivered, failed
    attempts: int
    http_status: int | None
    error: str
    sent_at: datetime
    elapsed_ms: float


_OUTCOME = pl.Schema(
    {
        "webhook_id": pl.String(),
        "status": pl.String(),
        "attempts": pl.Int32(),
        "http_status": pl.Int32(),
        "error": pl.String(),
        "sent_at": pl.Datetime("us"),
        "elapsed_ms": pl.Float64(),
    }
)


def enqueue(
    connection: duckdb.DuckDBPyConnection,
    destination: str,
    batches: Sequence[Batch],
    now: datetime,
) -> None:
    """Queue ``batches`` (inside the caller's transaction)."""
    if not batches:
        return
    frame = pl.DataFrame(
        {
            "delivery_id": [b.delivery_id for b in batches],
            "batch": [b.batch for b in batches],
            "batches": [b.batches for b in batches],
            "webhook_id": [b.webhook_id for b in batches],
            "sequence": [b.sequence for b in batches],
            "rows": [b.rows for b in batches],
            "body": [b.body for b in batches],
        },
        schema_overrides={"body": pl.Binary},
    )
    connection.register("queued_batches", frame.to_arrow())
    try:
        connection.execute(
            "INSERT INTO outbox SELECT ?, delivery_id, batch, batches, webhook_id, sequence, "
            "rows, body, 'queued', 0, NULL, '', ?, NULL, NULL FROM queued_batches",
            [destination, now],
        )
    finally:
        connection.unregister("queued_batches")


def waiting(store: Workspace, destination: str) -> list[Batch]:
    """The destination's batches not yet delivered, oldest first."""
    if not _has_outbox(store):
        return []
    with store.reading() as connection:
        rows = connection.execute(
            "SELECT webhook_id, delivery_id, batch, batches, sequence, rows, body FROM outbox "
            "WHERE destination = ? AND status <> 'delivered' ORDER BY sequence",
            [destination],
        ).fetchall()
    return [Batch(r[0], r[1], r[2], r[3], r[4], r[5], bytes(r[6])) for r in rows]


def next_sequence(store: Workspace, destination: str) -> int:
    """The sequence number the destination's next batch gets."""
    if not _has_outbox(store):
        return 1
    with store.reading() as connection:
        found = connection.execute(
            "SELECT max(sequence) FROM outbox WHERE destination = ?", [destination]
        ).fetchone()
    return int(found[0]) + 1 if found and found[0] is not None else 1


def record(store: Workspace, destination: str, outcomes: Sequence[Outcome]) -> None:
    """Mark batches delivered or failed, and settle the deliveries they finish."""
    if not outcomes:
        return
    frame = pl.DataFrame([o.__dict__ for o in outcomes], schema=_OUTCOME, orient="row")
    with store.writing() as connection:
        connection.register("outcomes", frame.to_arrow())
        try:
            with transaction(connection):
                connection.execute(
                    "UPDATE outbox SET status = o.status, "
                    "attempts = outbox.attempts + o.attempts, http_status = o.http_status, "
                    "error = o.error, sent_at = o.sent_at, elapsed_ms = o.elapsed_ms, "
                    "body = CASE WHEN o.status = 'delivered' THEN NULL ELSE outbox.body END "
                    "FROM outcomes o "
                    "WHERE outbox.destination = ? AND outbox.webhook_id = o.webhook_id",
                    [destination],
                )
                _settle(connection, destination)
        finally:
            connection.unregister("outcomes")


def _settle(connection: duckdb.DuckDBPyConnection, destination: str) -> None:
    """A delivery is delivered when all its batches are; failed while any is parked."""
    connection.execute(
        """UPDATE deliveries SET finished_at = q.last, status = CASE
               WHEN q.pending = 0 THEN 'delivered' WHEN q.failed > 0 THEN 'failed'
               ELSE deliveries.status END
           FROM (SELECT delivery_id, max(sent_at) AS last,
                        count(*) FILTER (WHERE status <> 'delivered') AS pending,
                        count(*) FILTER (WHERE status = 'failed') AS failed
                 FROM outbox WHERE destination = $d
                   AND delivery_id IN (SELECT delivery_id FROM outbox o JOIN outcomes USING
                                       (webhook_id) WHERE o.destination = $d)
                 GROUP BY delivery_id) q
           WHERE deliveries.destination = $d AND deliveries.delivery_id = q.delivery_id""",
        {"d": destination},
    )


def batches(store: Workspace, destination: str | None = None) -> pl.DataFrame:
    """The batch log (no bodies), newest first."""
    if not _has_outbox(store):
        return pl.DataFrame(schema=_LOG)
    where = "" if destination is None else " WHERE destination = $destination"
    params: dict[str, Any] | None = None if destination is None else {"destination": destination}
    with store.reading() as connection:
        found = pl.from_arrow(
            connection.sql(
                "SELECT destination, delivery_id, batch, batches, webhook_id, sequence, rows, "
                "status, attempts, http_status, error, queued_at, sent_at, elapsed_ms FROM outbox"
                + where
                + " ORDER BY sequence DESC",
                params=params,
            ).to_arrow_table()
        )
    assert isinstance(found, pl.DataFrame)
    return found.cast(_LOG)


def _has_outbox(store: Workspace) -> bool:
    if not store.path.exists():
        return False
    with store.reading() as connection:
        return "outbox" in table_names(connection)


_LOG = pl.Schema(
    {
        "destination": pl.String(),
        "delivery_id": pl.String(),
        "batch": pl.Int32(),
        "batches": pl.Int32(),
        "webhook_id": pl.String(),
        "sequence": pl.Int64(),
        "rows": pl.Int32(),
        "status": pl.String(),
        "attempts": pl.Int32(),
        "http_status": pl.Int32(),
        "error": pl.String(),
        "queued_at": pl.Datetime("us"),
        "sent_at": pl.Datetime("us"),
        "elapsed_ms": pl.Float64(),
    }
)
