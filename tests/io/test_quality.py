"""The quality report on tiny hand-computed tables: every reason, every policy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl
import pytest

import segwise as sw

if TYPE_CHECKING:
    from pathlib import Path

# Row by row (1-based), with the reason each gets under the default policy:
ORDERS = pl.DataFrame(
    {
        "InvoiceNo": ["1", "1", "2", "C3", "4", "5", "6", "7", "8", "9", "1"],
        "StockCode": ["A", "B", "POST", "A", "A", "A", "A", "A", "A", "A", "A"],
        "CustomerID": [
            "00042",
            "00042",
            "00043",
            "00042",
            None,
            "00044",
            "00045",
            "",
            "00046",
            "00047",
            "00042",
        ],
        "InvoiceDate": [
            "2024-01-01 10:00:00",
            "2024-01-01 10:00:00",
            "2024-01-02 11:00:00",
            "2024-01-03 12:00:00",
            "2024-01-04 12:00:00",
            "yesterday",
            "2024-01-05 12:00:00",
            "2024-01-06 12:00:00",
            "2024-01-07 12:00:00",
            "2024-03-01 12:00:00",
            "2024-01-01 10:00:00",
        ],
        "Quantity": ["2", "1", "1", "-1", "1", "1", "x", "1", "1", "1", "2"],
        "UnitPrice": ["5.0", "3.0", "4.0", "5.0", "1.0", "1.0", "1.0", "1.0", "0", "2.0", "5.0"],
    }
)
# 1 ok, 2 ok, 3 ok (POST is a product unless configured), 4 return (net: kept),
# 5 missing id, 6 unparseable date, 7 non-numeric quantity, 8 empty id = missing,
# 9 zero price, 10 ok, 11 exact duplicate of row 1 (kept by default).


def test_default_policy_counts_each_reason() -> None:
    report = sw.read_transactions(ORDERS).quality()
    assert report.rows_read == 11
    nonzero = {k: v for k, v in report.excluded.items() if v}
    assert nonzero == {
        "missing_customer_id": 2,
        "unparseable_timestamp": 1,
        "non_numeric_quantity": 1,
        "zero_or_negative_price": 1,
    }
    assert report.first_excluded_row == {
        "missing_customer_id": 5,
        "unparseable_timestamp": 6,
        "non_numeric_quantity": 7,
        "zero_or_negative_price": 9,
    }
    assert (report.rows_used, report.rows_quarantined) == (6, 5)
    assert report.checks["cancellations"] == 1
    assert report.checks["returns"] == 1
    assert report.checks["duplicates"] == 1
    assert report.returns_kept == 1
    assert report.customers == 3  # rows used: 1, 2, 3, 4, 10, 11
    assert report.total_amount == pytest.approx(2 * 5 + 3 + 4 - 5 + 2 + 2 * 5)
    assert report.balanced


def test_customer_ids_keep_leading_zeros() -> None:
    data = sw.read_transactions(ORDERS).to_native()
    assert set(data["customer_id"]) == {"00042", "00043", "00047"}


def test_purchases_only_excludes_returns() -> None:
    report = sw.read_transactions(ORDERS, policy="purchases-only").quality()
    assert report.excluded["return"] == 1
    assert report.rows_used == 5


def test_duplicates_drop_quarantines_all_but_the_first() -> None:
    dataset = sw.read_transactions(ORDERS, duplicates="drop")
    report = dataset.quality()
    assert report.excluded["duplicate"] == 1
    assert report.first_excluded_row["duplicate"] == 11
    assert report.rows_used == 5
    assert dataset.to_native().height == 5


def test_non_product_codes_with_prefixes() -> None:
    report = sw.read_transactions(ORDERS, non_product_codes="PO*").quality()
    assert report.excluded["non_product_code"] == 1
    assert report.checks["non_product_codes"] == 1


def test_returns_keep_marks_nothing_as_return() -> None:
    kept = sw.read_transactions(ORDERS, returns="keep").to_native()
    netted = sw.read_transactions(ORDERS, returns="net").to_native()
    assert not kept["is_return"].any()
    assert netted["is_return"].sum() == 1


def test_as_of_includes_the_whole_day() -> None:
    report = sw.read_transactions(ORDERS, as_of="2024-01-03").quality()
    # rows 10 (March) and 8-9 (after Jan 3) are after as-of; row 4 at Jan 3 12:00 is kept.
    assert report.excluded["after_as_of"] == 1  # row 10; rows 8 and 9 already failed earlier tests
    assert report.last_timestamp is not None and report.last_timestamp.day == 3


def test_quarantine_file_has_row_reason_and_source_columns(tmp_path: Path) -> None:
    target = sw.read_transactions(ORDERS).write_quarantine(tmp_path / "q.csv")
    quarantine = pl.read_csv(target, schema_overrides={"CustomerID": pl.String})
    assert quarantine["row"].to_list() == [5, 6, 7, 8, 9]
    assert quarantine["reason"].to_list() == [
        "missing_customer_id",
        "unparseable_timestamp",
        "non_numeric_quantity",
        "missing_customer_id",
        "zero_or_negative_price",
    ]
    assert quarantine.columns[2:] == ORDERS.columns


def test_customers_repeat_ids_are_quarantined() -> None:
    people = pl.DataFrame({"id": ["1", "2", "1", None], "age": [30, 40, 31, 50]})
    dataset = sw.read_customers(people)
    report = dataset.quality()
    assert report.excluded["duplicate_customer_id"] == 1
    assert report.excluded["missing_customer_id"] == 1
    assert report.rows_used == 2
    # The clean rows keep the first occurrence of each id.
    assert dataset.to_native().sort("customer_id")["age"].to_list() == [30, 40]


def test_events_need_a_name() -> None:
    events = pl.DataFrame(
        {"user_id": [1, 2, 3], "ts": ["2024-01-01"] * 3, "event": ["visit", "", None]}
    )
    report = sw.read_events(events).quality()
    assert report.excluded["missing_event"] == 2
    data = sw.read_events(events).to_native()
    assert data.columns == ["customer_id", "timestamp", "event"]
    assert data["customer_id"].to_list() == ["1"]  # ids are text, cast once at ingestion


def test_report_json_round_trip() -> None:
    import json

    payload = json.loads(sw.read_transactions(ORDERS).quality().to_json())
    assert payload["rows_read"] == 11 and payload["balanced"] is True
    assert payload["first_timestamp"] == "2024-01-01 10:00:00"


def test_erased_rows_are_counted_in_words() -> None:
    from segwise.io.quality import erased_noted

    report = sw.read_transactions(ORDERS).quality()
    one, many = erased_noted(report, 1), erased_noted(report, 1_204)
    assert one.checks["erased"] == 1 and one.notes[-1].startswith("1 row of erased customers")
    assert many.notes[-1].startswith("1,204 rows of erased customers left out (segwise forget)")


def test_padded_ids_are_kept_as_written_and_counted() -> None:
    frame = pl.DataFrame(
        {"customer_id": [" 7", "7", "8 "], "date": ["2024-01-01"] * 3, "amount": [1.0] * 3}
    )
    dataset = sw.read_transactions(frame)
    assert dataset.quality().checks["padded_customer_id"] == 2
    assert sorted(dataset.to_native()["customer_id"]) == [" 7", "7", "8 "]


def test_nan_and_infinite_amounts_are_not_numbers() -> None:
    frame = pl.DataFrame(
        {
            "customer_id": ["1", "2", "3"],
            "date": ["2024-01-01"] * 3,
            "amount": [1.0, float("nan"), float("inf")],
        }
    )
    report = sw.read_transactions(frame).quality()
    assert report.excluded["non_numeric_amount"] == 2
    assert sw.read_transactions(frame).to_native()["amount"].to_list() == [1.0]


def test_quarantine_keeps_source_columns_named_like_its_own(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "customer_id": [None, "2"],
            "date": ["2024-01-01"] * 2,
            "amount": [1.0, 2.0],
            "reason": ["a", "b"],
        }
    )
    quarantine = pl.read_csv(sw.read_transactions(frame).write_quarantine(tmp_path / "q.csv"))
    assert quarantine.columns == ["row", "reason", "customer_id", "date", "amount", "reason_source"]
    assert quarantine.row(0) == (1, "missing_customer_id", None, "2024-01-01", 1.0, "a")


# A shop's order export: the total on an order's first line only, its other lines blank.
SHOP = pl.DataFrame(
    {
        "Name": ["#1001", "#1001", "#1001", "#1002", "#1003", "#1003", None],
        "Email": ["a@x.io", "a@x.io", "a@x.io", "b@x.io", "a@x.io", "a@x.io", "c@x.io"],
        "Created at": ["2024-01-02"] * 3 + ["2024-01-05", "2024-02-01", "2024-02-01", "2024-02-03"],
        "Total": ["90.50", None, None, "20.00", None, None, None],
        "Lineitem price": ["40", "30", "20.50", "20", "15", "5", "9"],
    }
)


def _check_order_lines(frame: Any) -> None:
    dataset = sw.read_transactions(frame, customer_id="Email", order_id="Name", amount="Total")
    report = dataset.quality()
    # Rows 2-3 belong to order #1001, priced on row 1; #1003 has no total on any row and
    # row 7 no order at all: those really miss their amount.
    assert {k: n for k, n in report.excluded.items() if n} == {
        "order_line_without_amount": 2,
        "missing_amount": 3,
    }
    assert report.first_excluded_row["order_line_without_amount"] == 2
    assert (report.rows_used, report.total_amount) == (2, pytest.approx(110.5))
    assert report.checks["missing_amount"] == 5
    assert "2 row(s) are further lines of an order whose 'Total' is on another" in " ".join(
        report.notes
    )
    rows = dataset.quarantine().collect(backend="polars").sort("row").to_native()
    assert rows["reason"].to_list() == ["order_line_without_amount"] * 2 + ["missing_amount"] * 3
    used = dataset.data.collect(backend="polars").to_native().sort("timestamp")
    assert used["amount"].to_list() == [90.5, 20.0]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_an_orders_further_lines_are_told_apart_from_rows_with_no_amount(engine: str) -> None:
    import duckdb

    _check_order_lines(SHOP.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM SHOP"))


def test_a_source_with_every_amount_is_reported_as_before() -> None:
    priced = SHOP.with_columns(pl.col("Total").fill_null("1.00"))
    dataset = sw.read_transactions(priced, customer_id="Email", order_id="Name", amount="Total")
    assert "order_line_without_amount" not in dataset.quality().excluded


# Shopify's status on an order's first line only, WooCommerce's on each of its lines.
STORE = pl.DataFrame(
    {
        "Name": ["#1", "#1", "#2", "#2", "#3", "#4", "#5"],
        "Email": ["a@x.io", "a@x.io", "b@x.io", "b@x.io", "c@x.io", "a@x.io", "d@x.io"],
        "Financial Status": [
            "paid",
            None,
            "Refunded",
            None,
            " Cancelled ",
            "partially_refunded",
            "Paid",
        ],
        "Fulfillment Status": ["fulfilled", None, "cancelled", None, None, None, "cancelled"],
        "Created at": ["2024-01-02"] * 2
        + ["2024-01-05"] * 2
        + ["2024-02-01", "2024-02-03"]
        + ["2024-02-04"],
        "Total": ["90.50", None, "20.00", None, "35.00", "15.00", "7.00"],
        "Lineitem price": ["40.00", "50.50", "12.00", "8.00", "35.00", "15.00", "7.00"],
        "Lineitem quantity": ["1"] * 7,
    }
)


def _check_void_orders(frame: Any) -> None:
    dataset = sw.read_transactions(frame, customer_id="Email", order_id="Name", amount="Total")
    assert dataset.roles.columns["order_status"] == "Financial Status"
    report = dataset.quality()
    # Order #2 was refunded (its second line too), #3 cancelled; #4's partial refund and
    # #5's cancelled shipment leave money in.
    assert {k: n for k, n in report.excluded.items() if n} == {
        "void_order": 3,
        "order_line_without_amount": 1,
    }
    assert (report.rows_used, report.customers) == (3, 2)
    assert report.total_amount == pytest.approx(90.5 + 15 + 7)
    assert "3 row(s) of orders whose 'Financial Status' says cancelled" in " ".join(report.notes)
    rows = dataset.quarantine().collect(backend="polars").sort("row").to_native()
    # Rows 2-5 in file order (Spark numbers rows uniquely, not consecutively).
    assert rows["reason"].to_list() == ["order_line_without_amount"] + ["void_order"] * 3
    used = dataset.data.collect(backend="polars").to_native().sort("timestamp")
    assert used["amount"].to_list() == [90.5, 15.0, 7.0]
    # Read line by line, every line of the refunded order is out, not its first alone.
    item = {"quantity": "Lineitem quantity", "unit_price": "Lineitem price"}
    lines = sw.read_transactions(frame, customer_id="Email", order_id="Name", **item)
    assert {k: n for k, n in lines.quality().excluded.items() if n} == {"void_order": 3}
    used = lines.data.collect(backend="polars").to_native().sort("timestamp", "amount")
    assert used["amount"].to_list() == [40.0, 50.5, 15.0, 7.0]


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_cancelled_refunded_and_failed_orders_are_no_purchases(engine: str) -> None:
    import duckdb

    _check_void_orders(STORE.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM STORE"))


# Refunds written beside the orders' totals: part of one, the whole of another.
REFUNDS = pl.DataFrame(
    {
        "order_id": ["1", "2", "3", "4", "5"],
        "customer_id": ["a", "b", "c", "a", "d"],
        "date": ["2024-01-02", "2024-01-05", "2024-02-01", "2024-02-03", "2024-02-04"],
        "Total": ["90.50", "20.00", "35.00", "15.00", "-5.00"],
        "Refunded Amount": ["10.50", "20.00", "n/a", None, "5.00"],
    }
)


def _check_refunds(frame: Any) -> None:
    dataset = sw.read_transactions(frame)
    assert dataset.roles.columns["refunded_amount"] == "Refunded Amount"
    report = dataset.quality()
    assert {k: n for k, n in report.excluded.items() if n} == {
        "void_order": 1,
        "non_numeric_refund": 1,
    }
    # 90.50 less 10.50; 15 with no refund; a return stays as written.
    assert report.total_amount == pytest.approx(80 + 15 - 5)
    assert report.checks["partly_refunded"] == 1
    notes = " ".join(report.notes)
    assert "1 row(s) of orders whose 'Refunded Amount' is their whole amount" in notes
    assert "1 row(s) partly refunded: read less their 'Refunded Amount'" in notes


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_refunds_are_taken_off_and_a_refund_in_full_is_no_purchase(engine: str) -> None:
    import duckdb

    _check_refunds(REFUNDS.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM REFUNDS"))


# A payment export: each charge in the customer's currency, and converted to the account's.
STRIPE = pl.DataFrame(
    {
        "id": [f"ch_{i}" for i in range(8)],
        "Created (UTC)": [f"2024-01-0{1 + i} 10:00" for i in range(8)],
        "Amount": ["10.00", "20.00", "1500", "30.00", "12.00", "8.00", "2000", "5.00"],
        "Currency": ["usd", "usd", "jpy", "USD ", "eur", "usd", "jpy", None],
        "Converted Amount": ["10.00", "20.00", "10.10", "30.00", "13.00", "8.00", "13.50", "5"],
        "Converted Currency": ["usd"] * 8,
        "Status": ["Paid", "Paid", "Paid", "Refunded", "Paid", "Failed", "Paid", "Paid"],
        "Customer ID": ["cus_1", "cus_2", "cus_3", "cus_1", "cus_4", "cus_2", "cus_3", "cus_5"],
    }
)


def _check_currencies(frame: Any) -> None:
    charged = sw.read_transactions(frame)
    assert charged.roles.columns["currency_column"] == "Currency"
    assert charged.currency == "USD"
    report = charged.quality()
    # Yen and euros are not dollars: out, with a note naming them; a blank is the main one.
    assert {k: n for k, n in report.excluded.items() if n} == {"void_order": 2, "other_currency": 3}
    assert report.total_amount == pytest.approx(10 + 20 + 5)
    [note] = [n for n in report.notes if "currencies" in n]
    assert note.startswith("column 'Currency' names 3 currencies: the amounts in USD (4 rows)")
    assert "(JPY 2, EUR 1)" in note
    # Named, the converted amount is read in its own currency column: every paid charge counts.
    converted = sw.read_transactions(frame, amount="Converted Amount")
    assert converted.roles.columns["currency_column"] == "Converted Currency"
    again = converted.quality()
    assert {k: n for k, n in again.excluded.items() if n} == {"void_order": 2}
    assert again.total_amount == pytest.approx(10 + 20 + 10.1 + 13 + 13.5 + 5)


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_amounts_in_several_currencies_are_not_summed(engine: str) -> None:
    import duckdb

    _check_currencies(STRIPE.lazy() if engine == "polars" else duckdb.sql("SELECT * FROM STRIPE"))


@pytest.mark.spark
def test_shop_and_payment_exports_read_alike_on_spark(spark: Any) -> None:
    # STORE's first order has a further line too: the order-line window runs here as well.
    checks = ((STORE, _check_void_orders), (REFUNDS, _check_refunds), (STRIPE, _check_currencies))
    for table, check in checks:
        schema = ", ".join(f"`{c}` string" for c in table.columns)
        check(spark.createDataFrame(table.rows(), schema=schema))


def test_a_status_left_empty_in_a_typed_frame_is_blank_too() -> None:
    # A frame from pandas or Parquet writes Shopify's blank further lines as "", not NULL.
    typed = STORE.with_columns(pl.col("Financial Status").fill_null(""))
    item = {"quantity": "Lineitem quantity", "unit_price": "Lineitem price"}
    lines = sw.read_transactions(typed, customer_id="Email", order_id="Name", **item)
    assert {k: n for k, n in lines.quality().excluded.items() if n} == {"void_order": 3}
