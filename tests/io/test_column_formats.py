"""How a reader reads a column's convention off its values, and what the report says of it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest

import segwise as sw
from segwise.datasets import sample_paths
from segwise.engine.frames import to_lazy

if TYPE_CHECKING:
    from pathlib import Path

EURO_ORDERS = (
    "customer_id;order_date;amount\n"
    "A;2024-01-03;254,99 €\n"
    "B;2024-01-05;1.254,00 €\n"
    "A;2024-02-03;-12,50 €\n"
    "C;2024-03-01;$19.99\n"
    "C;2024-03-02;9,99 €\n"
    "D;2024-03-04;gratis\n"
)


def _amounts(dataset: sw.Dataset) -> dict[str, float]:
    data = pl.DataFrame(to_lazy(dataset.data).collect(backend="polars").to_native())
    return dict(data.group_by("customer_id").agg(pl.col("amount").sum()).rows())


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_amounts_written_with_a_currency_are_read_and_another_currency_is_quarantined(
    tmp_path: Path, engine: str
) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(EURO_ORDERS, encoding="utf-8")
    source = path if engine == "polars" else duckdb.read_csv(str(path), sep=";", all_varchar=True)
    dataset = sw.read_transactions(source)
    assert _amounts(dataset) == pytest.approx({"A": 242.49, "B": 1254.0, "C": 9.99})
    report = dataset.quality()
    excluded = {reason: n for reason, n in report.excluded.items() if n}
    assert excluded == {"other_currency": 1, "non_numeric_amount": 1}
    assert report.rows_read == report.rows_used + report.rows_quarantined
    assert "column 'amount' written as '€', decimal comma, thousands grouped: read as numbers" in (
        report.notes
    )


def test_a_unit_price_with_a_currency_makes_the_amount(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv"
    path.write_text(
        "Customer ID,InvoiceDate,Quantity,Price\n"
        '1,2024-01-03,2,"£1,250.00"\n'
        "1,2024-01-04,3,£2.55\n"
        "2,2024-01-05,1,€4.00\n",
        encoding="utf-8",
    )
    dataset = sw.read_transactions(path)
    assert _amounts(dataset) == pytest.approx({"1": 2507.65})
    assert dataset.quality().excluded["other_currency"] == 1


def test_plain_numbers_are_read_as_before_without_a_note(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    path.write_text("customer_id,order_date,amount\nA,2024-01-03,12.50\nB,2024-01-04,x\n")
    report = sw.read_transactions(path).quality()
    assert report.excluded["non_numeric_amount"] == 1
    assert not any("written as" in note for note in report.notes)


def test_a_column_showing_decimal_points_is_read_so_in_a_decimal_comma_file(
    tmp_path: Path,
) -> None:
    # The sniffer reads most numbers of this file with decimal commas (the ratings); the
    # amount column writes its own with points, and text ("12.50 ") keeps it text.
    rows = "".join(f"c{i};2024-01-0{1 + i % 9};{i}.50 ;{i},5;{i},25\n" for i in range(30))
    path = tmp_path / "mixed.csv"
    path.write_text("customer_id;order_date;amount;rating;score\n" + rows, encoding="utf-8")
    dataset = sw.read_transactions(path)
    assert dataset.quality().rows_quarantined == 0
    assert _amounts(dataset)["c7"] == 7.5


@pytest.mark.parametrize("engine", ["polars", "duckdb"])
def test_an_event_log_in_unix_milliseconds_is_dated_and_a_stray_number_quarantined(
    tmp_path: Path, engine: str
) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "distinct_id,event,time\nu1,Viewed,1704276000250\nu2,Viewed,1720049400000\nu1,Bought,42\n"
    )
    source = path if engine == "polars" else duckdb.read_csv(str(path), all_varchar=True)
    events = sw.read_events(source, customer_id="distinct_id")
    report = events.quality()
    assert report.timestamp_format == "epoch-ms"
    assert (report.rows_used, report.excluded["unparseable_timestamp"]) == (2, 1)
    assert str(report.first_timestamp) == "2024-01-03 10:00:00.250000"
    assert "timestamps read as Unix times in milliseconds since 1970 (UTC)" in report.notes


def test_orders_with_offsets_count_on_their_utc_day(tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,created_at,amount\n"
        "A,2024-07-03T23:30:00-04:00,10\n"
        "A,2024-07-01T08:00:00Z,5\n"
        "B,2024-07-02T00:30:00+02:00,7\n"
    )
    data = sw.read_transactions(path).data.collect(backend="polars").to_native()
    days = sorted(data["timestamp"].dt.date().cast(pl.String).to_list())
    assert days == ["2024-07-01", "2024-07-01", "2024-07-04"]


def _euro(value: str | None) -> str | None:
    try:
        return f"{float(value or ''):,.2f} €".translate(str.maketrans(",.", ".,"))
    except ValueError:
        return value  # the sample's unreadable amounts stay as they are


def test_a_french_shop_export_gives_the_features_of_the_plain_one(tmp_path: Path) -> None:
    # The bundled orders as a French back office writes them: a title above the header,
    # French column names, ';', amounts in euros with a decimal comma, UTC offsets.
    plain = pl.read_csv(sample_paths()["orders"], infer_schema=False)
    french = plain.select(
        pl.col("order_id").alias("N° commande"),
        pl.col("customer_id").alias("N° client"),
        (pl.col("order_date") + " +0000").alias("Date de commande"),
        pl.col("quantity").alias("Quantité"),
        pl.col("amount").map_elements(_euro, return_dtype=pl.String).alias("Montant TTC"),
    )
    path = tmp_path / "commandes.csv"
    path.write_text(
        "Export des commandes\nGénéré le 2024-12-31\n\n" + french.write_csv(separator=";")
    )
    ours = sw.read_transactions(path)
    assert ours.currency == "EUR"
    theirs = sw.read_transactions(sample_paths()["orders"])
    assert ours.quality().excluded == theirs.quality().excluded
    features = [
        sw.customer_features(dataset, as_of="2024-12-31").sort("customer_id")
        for dataset in (ours, theirs)
    ]
    keep = ["customer_id", "recency_days", "orders", "net_revenue", "tenure_days", "return_rate"]
    assert features[0].select(keep).equals(features[1].select(keep))


def test_a_date_in_an_implausible_year_is_quarantined_not_used(tmp_path: Path) -> None:
    # A two-digit year among four-digit ones reads as the year 24 with the column's pattern.
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_date,amount\nA,31/12/2023,10\nB,15/01/2024,12\nC,15/01/24,3\n"
    )
    report = sw.read_transactions(path).quality()
    assert (report.rows_used, report.excluded["unparseable_timestamp"]) == (2, 1)
    assert str(report.first_timestamp) == "2023-12-31 00:00:00"
