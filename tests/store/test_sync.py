"""The sync state and the delivery log: applied in one transaction, read back as sent."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl
import pytest

from segwise.store import StoreError, Workspace
from segwise.store.sync import STATE, Delivery, commit, deliveries, log_only, sent

if TYPE_CHECKING:
    from pathlib import Path


def rows(*triples: tuple[str, str, str]) -> pl.DataFrame:
    data = [("life", segment, customer, fingerprint) for segment, customer, fingerprint in triples]
    return pl.DataFrame(data, schema=STATE, orient="row")


def delivery(name: str = "d1", status: str = "delivered") -> Delivery:
    return Delivery(name, "crm", 1, datetime(2024, 1, 1), status, 2, 0, "exports/crm")


def test_a_new_store_has_sent_nothing(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    assert sent(store, "crm").equals(pl.DataFrame(schema=STATE))
    assert deliveries(store).height == 0


def test_commit_applies_adds_and_removes_and_logs_the_delivery(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    commit(store, delivery(), adds=rows(("VIP", "1", "a"), ("VIP", "2", "b")), removes=rows())
    commit(
        store,
        delivery("d2"),
        adds=rows(("VIP", "2", "b2"), ("Lapsed", "3", "c")),
        removes=rows(("VIP", "1", "a")),
    )
    state = sent(store, "crm").sort("customer_id")
    assert state.rows() == [("life", "VIP", "2", "b2"), ("life", "Lapsed", "3", "c")]
    assert sent(store, "other").height == 0
    log = deliveries(store, "crm")
    assert log["delivery_id"].to_list() == ["d2", "d1"]
    assert log["status"].to_list() == ["delivered", "delivered"]


def test_snapshot_replaces_the_state(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    commit(store, delivery(), adds=rows(("VIP", "1", "a"), ("VIP", "2", "b")), removes=rows())
    commit(store, delivery("d2"), adds=rows(("VIP", "3", "c")), removes=rows(), replace=True)
    assert sent(store, "crm")["customer_id"].to_list() == ["3"]


def test_a_failed_commit_changes_nothing(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    commit(store, delivery(), adds=rows(("VIP", "1", "a")), removes=rows())
    # The log entry is written last: its failure must undo the state changes before it.
    bad = Delivery("d2", "crm", "run one", datetime(2024, 1, 2), "delivered", 1, 1, "x")  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="Could not convert"):
        commit(store, bad, adds=rows(("VIP", "2", "b")), removes=rows(("VIP", "1", "a")))
    assert sent(store, "crm")["customer_id"].to_list() == ["1"]
    assert deliveries(store)["delivery_id"].to_list() == ["d1"]


def test_log_only_records_a_delivery_that_changed_nothing(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "s.duckdb")
    log_only(store, delivery("d0", "unchanged"))
    assert deliveries(store)[["delivery_id", "status"]].rows() == [("d0", "unchanged")]
    assert sent(store, "crm").height == 0
