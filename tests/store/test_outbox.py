"""The webhook outbox: queued with the state, re-read until delivered, bodies dropped after."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from segwise.store import Workspace
from segwise.store.outbox import Batch, Outcome, batches, next_sequence, record, waiting
from segwise.store.sync import STATE, Delivery, commit, deliveries, previous_delivery

if TYPE_CHECKING:
    from pathlib import Path


def queue(store: Workspace, delivery_id: str, count: int, first: int) -> list[Batch]:
    queued = [
        Batch(f"msg_{delivery_id}_{i}", delivery_id, i, count, first + i - 1, 1, b'{"i": %d}' % i)
        for i in range(1, count + 1)
    ]
    adds = pl.DataFrame([("life", "VIP", delivery_id, "f")], schema=STATE, orient="row")
    delivery = Delivery(delivery_id, "hook", 1, datetime(2024, 1, 1), "queued", 1, 0, "http://x")
    commit(store, delivery, adds=adds, removes=adds.clear(), batches=queued)
    return queued


def outcome(batch: Batch, status: str, code: int | None = 204) -> Outcome:
    return Outcome(batch.webhook_id, status, 2, code, "", datetime(2024, 1, 2), 12.5)


def test_queued_batches_wait_in_sequence_until_delivered(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert (waiting(store, "hook"), next_sequence(store, "hook")) == ([], 1)
    first = queue(store, "d1", 3, 1)
    assert waiting(store, "hook") == first
    assert next_sequence(store, "hook") == 4
    assert deliveries(store, "hook")[["status", "batches", "failed_batches"]].row(0) == (
        "queued", 3, 0,
    )  # fmt: skip
    record(store, "hook", [outcome(first[0], "delivered"), outcome(first[1], "failed", 500)])
    assert [b.webhook_id for b in waiting(store, "hook")] == ["msg_d1_2", "msg_d1_3"]
    assert deliveries(store, "hook")[["status", "failed_batches"]].row(0) == ("failed", 1)
    record(store, "hook", [outcome(first[1], "delivered"), outcome(first[2], "delivered")])
    assert waiting(store, "hook") == []
    assert deliveries(store, "hook")["status"].to_list() == ["delivered"]


def test_the_log_keeps_attempts_and_timing_but_not_bodies(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    [only] = queue(store, "d1", 1, 1)
    record(store, "hook", [outcome(only, "failed", 503)])
    record(store, "hook", [outcome(only, "delivered")])
    log = batches(store, "hook")
    assert log.select("status", "attempts", "http_status", "elapsed_ms").row(0) == (
        "delivered", 4, 204, 12.5,
    )  # fmt: skip
    with store.reading() as connection:
        assert connection.execute("SELECT body FROM outbox").fetchall() == [(None,)]


def test_each_destination_has_its_own_outbox_and_sequence(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    queue(store, "d1", 2, 1)
    assert waiting(store, "other") == []
    assert next_sequence(store, "other") == 1
    assert batches(store, "other").height == 0


def test_the_previous_delivery_is_the_last_that_changed_the_state(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert previous_delivery(store, "hook") == ""
    queue(store, "d1", 1, 1)
    assert previous_delivery(store, "hook") == "d1"
    assert previous_delivery(store, "crm") == ""
