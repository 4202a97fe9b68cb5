"""JSON files: lines or one array, plain or gzipped, and a clear line when neither."""

from __future__ import annotations

import gzip
import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path

ORDERS = [
    {"customer_id": "a", "date": "2024-01-01", "amount": 5.0},
    {"customer_id": "b", "date": "2024-01-02", "amount": 7.5},
    {"customer_id": "a", "date": "2024-02-01", "amount": 2.25},
]


def _write(path: Path, text: str) -> Path:
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["orders.json", "orders.json.gz"])
@pytest.mark.parametrize("layout", ["lines", "array", "pretty array"])
def test_json_lines_and_arrays_plain_or_gzipped_read_alike(
    tmp_path: Path, name: str, layout: str
) -> None:
    text = {
        "lines": "".join(json.dumps(order) + "\n" for order in ORDERS),
        "array": json.dumps(ORDERS),
        "pretty array": "\ufeff\n  " + json.dumps(ORDERS, indent=2),
    }[layout]
    report = sw.read_transactions(_write(tmp_path / name, text)).quality()
    assert (report.rows_used, report.customers) == (3, 2)
    assert report.total_amount == pytest.approx(14.75)


def test_an_amplitude_export_gzipped_per_hour_is_an_event_log(tmp_path: Path) -> None:
    lines = [
        {"user_id": "u1", "event_type": "session_start", "event_time": "2024-01-01 10:00:00.123000",
         "event_properties": {"plan": "pro"}, "user_properties": {"country": "DE"}},
        {"user_id": "u2", "event_type": "purchase", "event_time": "2024-01-02 11:00:00.000000",
         "event_properties": {"price": 9.99}, "user_properties": {}},
    ]  # fmt: skip
    export = _write(tmp_path / "123_2024-01-01_10#0.json.gz", "\n".join(map(json.dumps, lines)))
    events = sw.read_events(export)
    assert events.roles.columns["event"] == "event_type"
    assert events.quality().customers == 2
    columns = events.data.collect_schema().names()
    assert {"event_properties_plan", "event_properties_price", "user_properties_country"} <= set(
        columns
    )


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("broken.json", b'{"customer_id": "a",\n"date": "2024-01-01"\n'),  # cut short
        ("lines.json", b'{"customer_id": "a"}\n{"customer_id": "b",\n'),
        # mtime=0: the bytes are in the test's id, which every xdist worker must agree on.
        ("broken.json.gz", gzip.compress(b"not json at all", mtime=0)),
        ("notgzip.json.gz", b'[{"customer_id": "a"}]'),
    ],
    ids=["cut-short", "lines-cut-short", "gzip-of-no-json", "not-gzip"],
)
def test_a_file_that_is_no_json_gets_one_line(tmp_path: Path, name: str, body: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(body)
    done = CliRunner().invoke(app, ["quality", str(path)])
    assert done.exit_code == 1
    assert f"{path}: cannot parse the data" in done.output
    assert "one JSON object per line (JSON lines) or one array of objects" in done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize(
    "layout", ["one line", "pretty", "gzipped", "pages one per line", "stripe list"]
)
def test_an_api_response_is_read_as_the_records_it_wraps(tmp_path: Path, layout: str) -> None:
    # Shopify's Admin API: {"orders": [...]}, the customer a nested record, amounts as text.
    orders = [
        {
            "id": 1000 + i,
            "created_at": f"2024-0{1 + i % 3}-1{i % 9}T10:00:00+01:00",
            "total_price": f"{10 + i}.50",
            "currency": "EUR",
            "financial_status": "paid",
            "customer": {"id": 70 + i % 4, "email": f"c{i % 4}@shop.io"},
        }
        for i in range(8)
    ]
    text = {
        "one line": json.dumps({"orders": orders}),
        "pretty": json.dumps({"orders": orders}, indent=2),
        "gzipped": json.dumps({"orders": orders}, indent=2),
        "pages one per line": json.dumps({"orders": orders[:5]})
        + "\n"
        + json.dumps({"orders": orders[5:]}),
        "stripe list": json.dumps({"object": "list", "data": orders, "has_more": False}),
    }[layout]
    path = _write(tmp_path / ("orders.json.gz" if layout == "gzipped" else "orders.json"), text)
    read = sw.read_transactions(path)
    assert read.roles.columns["customer_id"] == "customer_id"  # the customer's id, flattened
    assert read.roles.columns["amount"] == "total_price"
    assert read.roles.columns["order_status"] == "financial_status"
    assert read.currency == "EUR"
    report = read.quality()
    assert (report.rows_used, report.customers) == (8, 4)
    assert report.total_amount == pytest.approx(sum(10.5 + i for i in range(8)))


def test_shopifys_current_total_is_the_amount_net_of_refunds(tmp_path: Path) -> None:
    orders = [
        {"id": 1, "created_at": "2024-01-05T10:00:00Z", "customer": {"id": 7},
         "total_price": "100.00", "current_total_price": "100.00", "financial_status": "paid"},
        {"id": 2, "created_at": "2024-01-06T10:00:00Z", "customer": {"id": 8},
         "total_price": "80.00", "current_total_price": "50.00",
         "financial_status": "partially_refunded"},
        {"id": 3, "created_at": "2024-01-07T10:00:00Z", "customer": {"id": 8},
         "total_price": "40.00", "current_total_price": "0.00", "financial_status": "refunded"},
    ]  # fmt: skip
    read = sw.read_transactions(_write(tmp_path / "orders.json", json.dumps({"orders": orders})))
    assert read.roles.columns["amount"] == "current_total_price"
    report = read.quality()
    assert (report.rows_used, report.rows_quarantined) == (2, 1)  # the refunded order
    assert report.total_amount == pytest.approx(150.0)


def test_one_order_with_its_line_items_is_one_order(tmp_path: Path) -> None:
    order = {
        "id": 1001, "created_at": "2024-01-05T10:00:00Z", "customer": {"id": 7},
        "total_price": "30.00", "currency": "EUR", "financial_status": "paid",
        "email": "a@b.c", "line_items": [{"sku": "a", "price": "10.00"}, {"sku": "b"}],
    }  # fmt: skip
    read = sw.read_transactions(_write(tmp_path / "order.json", json.dumps(order, indent=2)))
    report = read.quality()
    assert (report.rows_used, report.total_amount) == (1, pytest.approx(30.0))


def test_an_event_log_with_a_list_of_records_per_event_keeps_its_rows(tmp_path: Path) -> None:
    # A list of records beside other fields is one column of the event, not the records.
    lines = [
        {"user_id": f"u{i}", "ts": f"2024-01-0{1 + i}T10:00:00Z", "event": "order",
         "items": [{"sku": "a"}, {"sku": "b"}]}
        for i in range(3)
    ]  # fmt: skip
    events = sw.read_events(_write(tmp_path / "log.jsonl", "\n".join(map(json.dumps, lines))))
    assert events.quality().rows_used == 3
