"""Trigger bookkeeping: the last run fired, per trigger and destination, in one transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from segwise.store import StoreError, Workspace
from segwise.store.outbox import Batch, waiting
from segwise.store.sync import Delivery, deliveries
from segwise.store.triggers import fire, last_fired

if TYPE_CHECKING:
    from pathlib import Path


def test_each_trigger_and_destination_remembers_its_last_run(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert last_fired(store, "rich", "hook") is None
    fire(store, "rich", "hook", 2, entered=0, exited=0)
    fire(store, "rich", "hook", 3, entered=4, exited=1)
    fire(store, "rich", "files", 2, entered=0, exited=0)
    assert last_fired(store, "rich", "hook") == 3
    assert last_fired(store, "rich", "files") == 2
    assert last_fired(store, "other", "hook") is None


def test_the_events_delivery_and_batches_are_recorded_together(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    delivery = Delivery("rich-run3", "hook", 3, datetime(2024, 1, 1), "queued", 4, 1, "http://x")
    batch = Batch("msg_rich-run3_1", "rich-run3", 1, 1, 1, 5, b"{}")
    fire(store, "rich", "hook", 3, entered=4, exited=1, delivery=delivery, batches=[batch])
    assert waiting(store, "hook") == [batch]
    assert deliveries(store, "hook")["delivery_id"].to_list() == ["rich-run3"]
    broken = Delivery("rich-run4", "hook", "four", datetime(2024, 1, 2), "queued", 1, 0, "x")  # type: ignore[arg-type]
    with pytest.raises(StoreError):
        fire(store, "rich", "hook", 4, entered=1, exited=0, delivery=broken, batches=[batch])
    assert last_fired(store, "rich", "hook") == 3
    assert len(waiting(store, "hook")) == 1
