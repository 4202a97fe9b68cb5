"""Nested records: an event export's ``properties`` read as columns, on every engine."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.exceptions import ColumnNotFoundError
from segwise.io.nested import flatten_structs

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# Mixpanel's raw export: the person and the time inside "properties", the time in seconds.
MIXPANEL = [
    {"event": "Viewed Page", "properties": {"distinct_id": "u1", "time": 1704067200, "page": "/"}},
    {"event": "Signed Up", "properties": {"distinct_id": "u2", "time": 1704153600}},
    {"event": "Purchase", "properties": {"distinct_id": "u1", "time": 1704240000, "amount": 12.5}},
    {"event": "Viewed Page", "properties": {"distinct_id": "u3", "time": 1704326400, "page": "/p"}},
]


def _json_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def test_a_mixpanel_export_is_read_as_an_event_log(tmp_path: Path) -> None:
    export = _json_lines(tmp_path / "mixpanel.ndjson", MIXPANEL)
    events = sw.read_events(export)
    assert events.roles.columns == {
        "customer_id": "properties_distinct_id",
        "timestamp": "properties_time",
        "event": "event",
    }
    report = events.quality()
    assert (report.rows_used, report.customers) == (4, 3)
    assert "nested fields read as columns: 'properties' (4)" in report.notes
    rows = events.data.collect().to_polars().sort("timestamp")
    assert rows["customer_id"].to_list() == ["u1", "u2", "u1", "u3"]
    assert rows["timestamp"].dt.strftime("%Y-%m-%d").to_list() == [
        "2024-01-01",
        "2024-01-02",
        "2024-01-03",
        "2024-01-04",
    ]
    assert rows["properties_page"].to_list() == ["/", None, None, "/p"]


def test_a_segment_log_of_orders_is_read_as_transactions_and_its_bad_rows_kept(
    tmp_path: Path,
) -> None:
    export = _json_lines(
        tmp_path / "segment.jsonl",
        [
            {
                "event": "Order Completed",
                "userId": f"u{i % 3}",
                "timestamp": f"2024-01-{1 + i:02d}T10:00:00.000Z",
                "properties": {"revenue": 10.0 + i, "currency": "EUR", "order_id": f"o{i}"},
            }
            for i in range(6)
        ]
        + [{"event": "Product Viewed", "userId": "u9", "timestamp": "2024-01-09T10:00:00.000Z"}],
    )
    orders = sw.read_transactions(export)
    assert orders.roles.columns["amount"] == "properties_revenue"
    assert orders.roles.columns["order_id"] == "properties_order_id"
    assert orders.currency == "EUR"
    report = orders.quality()
    assert (report.rows_used, report.rows_quarantined) == (6, 1)
    assert report.total_amount == pytest.approx(sum(10.0 + i for i in range(6)))
    quarantine = tmp_path / "segment.quarantine.csv"
    done = CliRunner().invoke(app, ["quality", str(export), "--quarantine", str(quarantine)])
    assert done.exit_code == 0, done.output
    quarantined = pl.read_csv(quarantine)
    assert quarantined["userId"].to_list() == ["u9"]
    assert "properties_revenue" in quarantined.columns


def test_nested_fields_are_the_same_columns_on_every_engine(
    to_engine: Callable[[pl.DataFrame], Any],
) -> None:
    log = pl.DataFrame(MIXPANEL)
    events = sw.read_events(to_engine(log))
    assert events.roles.columns["customer_id"] == "properties_distinct_id"
    report = events.quality()
    assert (report.rows_used, report.customers) == (4, 3)
    counts = (
        nw.from_native(sw.read_events(to_engine(log)).data.collect().to_native())
        .group_by("customer_id")
        .agg(nw.len())
        .sort("customer_id")
    )
    assert counts.rows() == [("u1", 2), ("u2", 1), ("u3", 1)]


def test_a_struct_whose_fields_would_repeat_a_column_is_kept_whole() -> None:
    frame = pl.LazyFrame({"a": [{"b": 1, "c": 2}], "a_b": [3], "d": [{"e": "x"}]})
    flat = flatten_structs(nw.from_native(frame))
    assert flat.frame.collect_schema().names() == ["a", "a_b", "d_e"]
    assert flat.fields == {"d_e": "e"}
    assert flat.notes == ["nested fields read as columns: 'd' (1)"]
    deep = flatten_structs(nw.from_native(pl.LazyFrame({"s": [{"x": {"y": 1, "z": [1, 2]}}]})))
    assert deep.frame.collect_schema().names() == ["s_x_y", "s_x_z"]
    assert deep.frame.collect().rows() == [(1, [1, 2])]
    twice = pl.LazyFrame({"a": [{"b_c": 1, "b": {"c": 2}}]})  # both would be a_b_c
    assert flatten_structs(nw.from_native(twice)).frame.collect_schema().names() == ["a"]
    plain = nw.from_native(pl.LazyFrame({"a": [1]}))
    assert flatten_structs(plain).frame is plain
    assert flatten_structs(plain).fields == {}


def test_two_nested_fields_of_one_name_are_left_to_the_user(tmp_path: Path) -> None:
    export = _json_lines(
        tmp_path / "log.jsonl",
        [
            {
                "event": "x",
                "user_id": "u1",
                "properties": {"time": 1704067200},
                "context": {"time": 1704153600},
            }
        ],
    )
    with pytest.raises(ColumnNotFoundError, match=r"2 columns could be the timestamp \(date\): "):
        sw.read_events(export)
    chosen = sw.read_events(export, timestamp="context_time")
    assert chosen.quality().rows_used == 1
