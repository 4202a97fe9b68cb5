"""A folder read as one source: Parquet parts as Spark and pandas write them, or exports."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.exceptions import DataError
from segwise.io.combined import CombinedDataset, OverlappingSourcesWarning
from segwise.io.folders import parquet_parts
from segwise.io.sources import open_source


def _orders(month: int, n: int, amount_type: type = float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "customer_id": [f"c{(month * 7 + i) % 13}" for i in range(n)],
            "order_date": [f"2024-{month:02d}-{1 + i % 28:02d}" for i in range(n)],
            "amount": [amount_type(10 + i % 9) for i in range(n)],
            "month": [month] * n,
        }
    )


def test_a_partitioned_folder_is_one_table_with_its_partitions_as_columns(
    tmp_path: Path,
) -> None:
    whole = pl.concat([_orders(m, 20 + m) for m in (1, 2, 3)])
    folder = tmp_path / "orders"
    whole.write_parquet(folder, partition_by="month")
    (folder / "_SUCCESS").write_text("")  # a writer's marker, not data
    orders = sw.read_transactions(folder)
    report = orders.quality()
    assert report.rows_used == whole.height
    assert report.total_amount == pytest.approx(whole["amount"].sum())
    assert report.customers == whole["customer_id"].n_unique()
    assert "read as one table: 3 Parquet file(s), partitioned by month" in report.notes
    months = orders.data.collect().to_polars()["month"].value_counts().sort("month")
    assert months.rows() == [(1, 21), (2, 22), (3, 23)]
    keys = ["customer_id", "timestamp", "amount"]
    read = orders.data.collect().to_polars().select(keys).sort(keys)
    assert read.equals(
        sw.read_transactions(whole).data.collect().to_polars().select(keys).sort(keys)
    )


def test_a_folder_spark_wrote_is_read_without_its_markers(spark: Any, tmp_path: Path) -> None:
    whole = pl.concat([_orders(m, 30) for m in (1, 2)])
    folder = tmp_path / "spark_orders"
    schema = "customer_id string, order_date string, amount double, month long"
    spark.createDataFrame(whole.rows(), schema).repartition(3).write.partitionBy("month").parquet(
        str(folder)
    )
    written = {p.name for p in folder.rglob("*")}
    assert "_SUCCESS" in written and any(name.endswith(".crc") for name in written)
    report = sw.read_transactions(folder).quality()
    assert (report.rows_used, report.rows_quarantined) == (60, 0)
    assert report.total_amount == pytest.approx(whole["amount"].sum())


def test_parts_written_at_different_times_combine(tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    (folder / "2024-01").mkdir(parents=True)
    (folder / "2024-02").mkdir()
    _orders(1, 10, int).drop("month").write_parquet(folder / "2024-01" / "part.parquet")
    later = _orders(2, 10).drop("month").with_columns(pl.lit("web").alias("channel"))
    later.write_parquet(folder / "2024-02" / "part.parquet")
    orders = sw.read_transactions(folder)
    rows = orders.data.collect().to_polars()
    assert rows.height == 20
    assert rows["amount"].dtype == pl.Float64  # integers in one part, floats in the other
    assert rows.filter(pl.col("channel").is_null()).height == 10


def test_a_column_of_two_types_is_refused_naming_both_parts(tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    folder.mkdir()
    _orders(1, 5).write_parquet(folder / "a.parquet")
    _orders(2, 5).with_columns(pl.col("amount").cast(pl.String)).write_parquet(folder / "b.parquet")
    done = CliRunner().invoke(app, ["quality", str(folder)])
    assert done.exit_code == 1
    assert "column 'amount' is Float64 in a.parquet and String in b.parquet" in done.output
    assert "Traceback" not in done.output


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("empty", "this is a folder without data files"),
        ("notes only", "this is a folder without data files"),
        ("delta", "this folder is a Delta table"),
        ("mixed", "this folder holds Parquet files and 1 other export"),
    ],
)
def test_a_folder_that_is_no_parquet_table_gets_one_line(
    tmp_path: Path, layout: str, message: str
) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    if layout == "notes only":
        (folder / "README.md").write_text("orders land here monthly\n")
    if layout == "mixed":
        (folder / "orders.csv").write_text("customer_id,date,amount\n1,2024-01-01,5\n")
        _orders(1, 3).write_parquet(folder / "part-0.parquet")
    if layout == "delta":
        (folder / "_delta_log").mkdir()
        _orders(1, 3).write_parquet(folder / "part-0.parquet")
    with pytest.raises(DataError, match=message):
        sw.read_transactions(folder)


def test_hidden_and_temporary_parts_are_not_data(tmp_path: Path) -> None:
    for part in ("a/part-0.parquet", "_temporary/0/part-1.parquet", ".hidden/part-2.parquet"):
        (tmp_path / part).parent.mkdir(parents=True, exist_ok=True)
        _orders(1, 2).write_parquet(tmp_path / part)
    assert [p.relative_to(tmp_path).as_posix() for p in parquet_parts(tmp_path)] == [
        "a/part-0.parquet"
    ]


def test_a_part_added_while_reading_is_caught(tmp_path: Path) -> None:
    folder = tmp_path / "orders"
    folder.mkdir()
    _orders(1, 5).write_parquet(folder / "part-0.parquet")
    raw = open_source(folder)
    raw.check_unchanged()
    _orders(2, 5).write_parquet(folder / "part-1.parquet")
    with pytest.raises(DataError, match="changed while segwise was reading it"):
        raw.check_unchanged()


def test_a_folder_of_monthly_exports_is_read_as_one(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders-2024-01.csv").write_text(
        "customer_id,date,amount\nA,2024-01-03,10\nB,2024-01-20,5\nB,2024-01-31,7\n"
    )
    # The next month's export, from another tool, begins a day early and has a bad row.
    (folder / "orders-2024-02.csv").write_text(
        "customer_id;date;amount\nB;2024-01-31;7\nC;2024-02-05;12,5\nA;2024-02-09;x\n"
    )
    (folder / "orders-2024-01.quarantine.csv").write_text("reason\nnot data\n")
    with pytest.warns(OverlappingSourcesWarning, match="1 row equals a row of"):
        orders = sw.read_transactions(folder)
        orders.overlaps()
    assert isinstance(orders, CombinedDataset)
    assert [Path(part.source).name for part in orders.parts] == [
        "orders-2024-01.csv",
        "orders-2024-02.csv",
    ]
    report = orders.quality()
    assert (report.rows_read, report.rows_used, report.rows_quarantined) == (6, 5, 1)
    assert report.total_amount == pytest.approx(41.5)
    with pytest.raises(DataError, match="a folder of 2 exports; read_customers takes one") as e:
        sw.read_customers(folder)
    assert str(folder) in str(e.value)
    with warnings.catch_warnings():  # the CLI shows it as a line of its own
        warnings.simplefilter("always", OverlappingSourcesWarning)
        done = CliRunner().invoke(app, ["quality", str(folder), "--no-quarantine"])
    assert done.exit_code == 0, done.output
    assert "warning: " in done.stderr and "orders-2024-02.csv: 1 row equals a row" in done.stderr
    assert "orders-2024-01.csv + " in done.output
    assert "check: repeated_from_earlier_source" in done.output


def test_a_column_named_for_every_file_that_one_lacks_says_to_leave_it_unnamed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "2010.csv").write_text("Customer ID,date,amount\nA,2010-01-03,10\n")
    (folder / "2011.csv").write_text("CustomerID,date,amount\nB,2011-01-03,5\n")
    with pytest.raises(sw.ColumnNotFoundError) as caught:
        sw.read_transactions(folder, customer_id="Customer ID")
    said = str(caught.value)
    assert said.startswith(f"{folder / '2011.csv'}: column 'Customer ID' (given as the customer")
    assert "Did you mean 'CustomerID'? If the files name it differently, leave the role" in said
    assert caught.value.source == str(folder / "2011.csv")
    # Unnamed, each file's is recognised; one file alone keeps the plain hint.
    assert sw.read_transactions(folder).quality().customers == 2
    with pytest.raises(sw.ColumnNotFoundError) as alone:
        sw.read_transactions(folder / "2011.csv", customer_id="Customer ID")
    assert "If the files" not in str(alone.value)


def test_a_project_told_to_drop_duplicates_quarantines_the_overlap(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "orders-2024-01.csv").write_text(
        "customer_id,date,amount\nA,2024-01-03,10\nB,2024-01-20,5\nB,2024-01-31,7\n"
    )
    (folder / "orders-2024-02.csv").write_text(  # begins a day early
        "customer_id,date,amount\nB,2024-01-31,7\nC,2024-02-05,12.5\nA,2024-02-09,3\n"
    )
    (tmp_path / "segwise.yaml").write_text(
        "name: shop\nstore: segwise.duckdb\nsources:\n"
        "  transactions: {path: exports, duplicates: drop}\n"
        "segmentations:\n  value: {method: rfm}\n"
    )
    with pytest.warns(OverlappingSourcesWarning, match="quarantined from it as repeated"):
        run = sw.Project.from_yaml(tmp_path / "segwise.yaml").run()
    [report] = run.quality
    assert (report.rows_used, report.excluded["repeated_from_earlier_source"]) == (5, 1)
    assert report.total_amount == pytest.approx(37.5)  # B's 7 on 31 January once
    held = pl.read_csv(tmp_path / "quarantine" / "transactions.quarantine.csv")
    assert held.select("row", "reason", "customer_id").rows() == [
        (1, "repeated_from_earlier_source", "B")
    ]
    assert held["source"].to_list() == [str(folder / "orders-2024-02.csv")]
