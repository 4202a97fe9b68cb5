"""Which runs each trigger has fired for: a trigger sends every run's moves once.

A trigger's events for one run and one destination are recorded in one
transaction with the delivery's log entry and (webhooks) the queued batches:
a sync killed before it recorded them fires the same events again (same file
name, same webhook ids), never a different set, and never skips a run.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from segwise.store.outbox import enqueue
from segwise.store.schema import table_names
from segwise.store.sync import log_delivery
from segwise.store.transaction import transaction

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.store.outbox import Batch
    from segwise.store.sync import Delivery
    from segwise.store.workspace import Workspace


def last_fired(store: Workspace, trigger: str, destination: str) -> int | None:
    """The last run whose moves ``trigger`` sent to ``destination`` (None: never fired)."""
    if not store.path.exists():
        return None
    with store.reading() as connection:
        if "trigger_runs" not in table_names(connection):
            return None
        found = connection.execute(
            "SELECT max(run_id) FROM trigger_runs WHERE trigger = ? AND destination = ?",
            [trigger, destination],
        ).fetchone()
    return None if found is None or found[0] is None else int(found[0])


def fire(
    store: Workspace,
    trigger: str,
    destination: str,
    run_id: int,
    *,
    entered: int,
    exited: int,
    delivery: Delivery | None = None,
    batches: Sequence[Batch] = (),
) -> None:
    """Record that ``trigger`` sent run ``run_id``'s moves to ``destination``.

    ``delivery`` (the log entry) and ``batches`` (queued in the outbox) are
    written by the same transaction.
    """
    now = datetime.now()
    with store.writing() as connection, transaction(connection):
        if delivery is not None:
            log_delivery(connection, delivery, now)
        enqueue(connection, destination, batches, now)
        connection.execute(
            "INSERT INTO trigger_runs VALUES (?, ?, ?, ?, ?, ?)",
            [trigger, destination, run_id, entered, exited, now],
        )
