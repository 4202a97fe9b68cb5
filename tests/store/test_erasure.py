"""Erasure in the store: rows deleted, texts redacted, pending bodies cut, bytes rewritten away."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from segwise.store import RunRecord, SegmentationRecord, Workspace, audit
from segwise.store.erasure import erase_customers, tombstones
from segwise.store.outbox import Batch
from segwise.store.sync import STATE, Delivery, commit

if TYPE_CHECKING:
    from pathlib import Path

GONE = "ZQ-ERASE-7731-distinct"
EMAIL = "zora.quill@forget-me.example"


def _store(tmp_path: Path) -> Workspace:
    store = Workspace(tmp_path / "segwise.duckdb")
    ids = [f"cust-{i}" for i in range(5000)] + [GONE]
    members = pl.DataFrame({"customer_id": ids, "segment": ["Big", "Small"] * 2500 + ["Big"]})
    record = RunRecord("demo", dt.date(2024, 1, 31), "abc", "name: demo", "0.1.0", "polars",
                       len(ids), dt.datetime(2024, 2, 1),
                       [SegmentationRecord("value", "rules", {}, [], members)])  # fmt: skip
    store.write_run(record)
    audit.record(store, "cli:ana", "explain", "value/Big", detail={"customer": GONE})
    items = [{"customer_id": GONE, "email": EMAIL}, {"customer_id": "cust-1", "email": "a@b.io"}]
    body = {"type": "segment.sync", "data": {"delivery_id": "d1", "items": items}}
    batch = Batch("msg_d1_1", "d1", 1, 1, 1, 2, json.dumps(body).encode())
    adds = pl.DataFrame([("value", "Big", GONE, "f"), ("value", "Big", "cust-1", "g")],
                        schema=STATE, orient="row")  # fmt: skip
    delivery = Delivery("d1", "hook", 1, dt.datetime(2024, 2, 1), "queued", 2, 0, "http://x")
    commit(store, delivery, adds=adds, removes=adds.clear(), batches=[batch])
    return store


def test_delete_and_checkpoint_alone_leave_the_bytes(tmp_path: Path) -> None:
    """Why erasure rewrites the file: DuckDB keeps deleted rows in its free blocks."""
    path = tmp_path / "plain.duckdb"
    with duckdb.connect(str(path)) as connection:
        connection.execute("CREATE TABLE m AS SELECT 'cust-' || i AS id FROM range(20000) t(i)")
        connection.execute("INSERT INTO m VALUES (?)", [GONE])
        connection.execute("CHECKPOINT")
        connection.execute("DELETE FROM m WHERE id = ?", [GONE])
        connection.execute("CHECKPOINT")
        connection.execute("VACUUM")
        connection.execute("CHECKPOINT")
        assert connection.execute("SELECT count(*) FROM m WHERE id = ?", [GONE]).fetchone() == (0,)
    assert GONE.encode() in path.read_bytes()


def test_erasure_removes_rows_texts_and_bytes(tmp_path: Path) -> None:
    store = _store(tmp_path)
    assert GONE.encode() in store.path.read_bytes()
    planned = erase_customers(store, [GONE], {GONE, EMAIL}, ["h1"], dry_run=True)
    assert planned == {
        "membership_intervals": 1, "sync_state": 1, "audit_log.detail": 1, "outbox.body": 1,
    }  # fmt: skip
    assert GONE in store.members("Big")["customer_id"].to_list()  # a dry run changes nothing
    done = erase_customers(store, [GONE], {GONE, EMAIL}, ["h1"])
    assert done == planned
    data = store.path.read_bytes()
    assert GONE.encode() not in data and EMAIL.encode() not in data
    big = store.members("Big")["customer_id"].to_list()
    assert GONE not in big and len(big) == 2500 and "cust-0" in big
    detail = json.loads(audit.entries(store)["detail"][0])
    assert detail == {"customer": "[erased]"}
    with store.reading() as connection:
        body, rows = connection.execute("SELECT body, rows FROM outbox").fetchone()  # type: ignore[misc]
        held = connection.execute("SELECT customer_id FROM sync_state").fetchall()
    assert json.loads(bytes(body))["data"]["items"] == [
        {"customer_id": "cust-1", "email": "a@b.io"}
    ]
    assert rows == 1 and held == [("cust-1",)]
    assert tombstones(store) == {"h1"}


def test_erasing_twice_keeps_one_tombstone_and_finds_nothing(tmp_path: Path) -> None:
    store = _store(tmp_path)
    erase_customers(store, [GONE], {GONE}, ["h1"])
    assert erase_customers(store, [GONE], {GONE}, ["h1"]) == {}
    assert tombstones(store) == {"h1"}
    assert store.runs().height == 1  # the rewritten file is a whole store


def test_a_token_inside_a_longer_identifier_is_left_alone(tmp_path: Path) -> None:
    store = _store(tmp_path)
    audit.record(store, "cli:ana", "explain", "value/Big", detail={"customer": "cust-10"})
    erase_customers(store, ["cust-1"], {"cust-1"}, ["h2"])
    details = audit.entries(store)["detail"].to_list()
    assert '{"customer": "cust-10"}' in details
    assert "cust-10" in store.members("Big")["customer_id"].to_list()
