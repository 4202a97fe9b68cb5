"""Every source kind: files, databases and in-memory frames, each giving the same clean rows."""

from __future__ import annotations

import sqlite3
import warnings
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import segwise as sw
from segwise.io.timestamps import AmbiguousDatesWarning

if TYPE_CHECKING:
    from pathlib import Path

ORDERS = pl.DataFrame(
    {
        "customer_id": ["00042", "00043", "00042", None],
        "order_date": [
            "2024-01-05 10:00:00",
            "2024-02-01 09:30:00",
            "2024-03-01 08:00:00",
            "2024-03-02 08:00:00",
        ],
        "amount": [12.5, 7.0, -2.5, 3.0],
        "order_id": ["A1", "A2", "C3", "A4"],
    }
)
EXPECTED_IDS = ["00042", "00043", "00042"]


def _check(dataset: sw.Dataset) -> None:
    report = dataset.quality()
    assert (report.rows_read, report.rows_used, report.rows_quarantined) == (4, 3, 1)
    assert report.excluded["missing_customer_id"] == 1
    assert report.checks["cancellations"] == 1
    assert report.total_amount == pytest.approx(17.0)
    data = dataset.data.collect(backend="polars").to_native().sort("timestamp")
    assert data["customer_id"].to_list() == EXPECTED_IDS
    assert data["is_return"].to_list() == [False, False, True]


def test_parquet(tmp_path: Path) -> None:
    ORDERS.write_parquet(tmp_path / "o.parquet")
    _check(sw.read_transactions(tmp_path / "o.parquet"))


def test_json_lines(tmp_path: Path) -> None:
    ORDERS.write_ndjson(tmp_path / "o.jsonl")
    _check(sw.read_transactions(tmp_path / "o.jsonl"))


def test_excel_keeps_text_ids(tmp_path: Path) -> None:
    ORDERS.write_excel(tmp_path / "o.xlsx")
    _check(sw.read_transactions(tmp_path / "o.xlsx"))


def test_excel_sheet_by_name(tmp_path: Path) -> None:
    import xlsxwriter

    with xlsxwriter.Workbook(tmp_path / "book.xlsx") as book:
        ORDERS.head(1).write_excel(book, worksheet="notes")
        ORDERS.write_excel(book, worksheet="orders")
    _check(sw.read_transactions(tmp_path / "book.xlsx", sheet="orders"))


def test_duckdb_file_stays_on_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders AS SELECT * FROM ORDERS")
        con.execute("CREATE TABLE other AS SELECT 1 AS x")
    dataset = sw.read_transactions(f"duckdb:///{path}", table="orders")
    assert type(dataset.to_native()).__module__.startswith("duckdb")
    _check(dataset)


def test_duckdb_file_needs_a_table_when_it_has_several(tmp_path: Path) -> None:
    path = tmp_path / "shop.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders AS SELECT * FROM ORDERS")
        con.execute("CREATE TABLE other AS SELECT 1 AS x")
    with pytest.raises(sw.DataError, match="2 tables"):
        sw.read_transactions(path)


def test_sqlite_file_and_query(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as con:
        con.execute(
            "CREATE TABLE orders (customer_id TEXT, order_date TEXT, amount REAL, order_id TEXT)"
        )
        con.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)", ORDERS.rows())
    _check(sw.read_transactions(f"sqlite:///{path}", table="orders"))
    _check(sw.read_transactions(path, query="SELECT * FROM orders"))


@pytest.mark.postgres
def test_postgresql(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as con:
        con.execute("DROP TABLE IF EXISTS orders")
        con.execute(
            "CREATE TABLE orders (customer_id TEXT, order_date TIMESTAMP, amount DOUBLE PRECISION, "
            "order_id TEXT)"
        )
        with con.cursor() as cur:
            cur.executemany("INSERT INTO orders VALUES (%s, %s, %s, %s)", ORDERS.rows())
    _check(sw.read_transactions(postgres_url, table="orders"))


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda: ORDERS, pl.DataFrame),
        (ORDERS.lazy, pl.LazyFrame),
        (ORDERS.to_pandas, pd.DataFrame),
        (ORDERS.to_arrow, pa.Table),
    ],
    ids=["polars", "polars-lazy", "pandas", "pyarrow"],
)
def test_in_memory_frames_come_back_as_the_same_kind(make: Any, kind: type) -> None:
    dataset = sw.read_transactions(make())
    _check(dataset)
    assert isinstance(dataset.to_native(), kind)


def test_duckdb_relation_stays_lazy_on_duckdb() -> None:
    relation = duckdb.sql("SELECT * FROM ORDERS")
    dataset = sw.read_transactions(relation)
    assert isinstance(dataset.to_native(), duckdb.DuckDBPyRelation)
    _check(dataset)


def test_pandas_object_dates_are_parsed() -> None:
    frame = ORDERS.to_pandas()
    frame["order_date"] = pd.to_datetime(frame["order_date"]).astype(object)
    _check(sw.read_transactions(frame))


@pytest.mark.parametrize("unit", ["date", "datetime-ms", "datetime-us-utc"])
def test_typed_timestamps_are_used_as_they_are(tmp_path: Path, unit: str) -> None:
    stamps = pl.Series(["2024-01-05 10:00:00", "2024-02-01 09:30:00"]).str.to_datetime()
    column = {
        "date": stamps.dt.date(),
        "datetime-ms": stamps.dt.cast_time_unit("ms"),
        "datetime-us-utc": stamps.dt.replace_time_zone("UTC"),
    }[unit]
    frame = pl.DataFrame({"customer_id": ["1", "2"], "order_date": column, "amount": [1.0, 2.0]})
    frame.write_parquet(tmp_path / "typed.parquet")
    report = sw.read_transactions(tmp_path / "typed.parquet").quality()
    assert report.rows_used == 2
    assert report.timestamp_format is None
    assert report.first_timestamp is not None and report.first_timestamp.month == 1


def test_excel_numeric_ids_read_as_written(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {
            "CustomerID": [17850, 42],
            "InvoiceDate": ["2024-01-01", "2024-01-02"],
            "amount": [1.0, 2.0],
        }
    )
    frame.write_excel(tmp_path / "numeric.xlsx")
    data = sw.read_transactions(tmp_path / "numeric.xlsx").to_native()
    assert data["customer_id"].to_list() == ["17850", "42"]


def test_text_columns_keep_leading_zeros_of_attributes(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("id,zip,age,code\n1,01234,30,7\n2,98765,40,12\n")
    # A postcode written with a leading zero is a code: as a number it would be 1234.
    plain = sw.read_customers(path)
    assert plain.to_native()["zip"].to_list() == ["01234", "98765"]
    assert plain.to_native()["code"].to_list() == [7, 12]
    said = "column 'zip' read as text: its numbers are codes written with leading zeros (row 1)"
    assert said in plain.notes
    kept = sw.read_customers(path, text_columns=["code"]).to_native()
    assert kept["code"].to_list() == ["7", "12"]
    with pytest.raises(sw.DataError, match=r"(?i)did you mean 'zip'"):
        sw.read_customers(path, text_columns=["zpi"])


@pytest.mark.parametrize(
    "query",
    [
        "COPY orders TO '{tmp}/leak.csv'",
        "SELECT * FROM read_csv('{tmp}/secret.csv')",
        "ATTACH '{tmp}/other.duckdb' AS other",
    ],
    ids=["copy to", "read another file", "attach"],
)
def test_duckdb_query_cannot_reach_other_files(tmp_path: Path, query: str) -> None:
    # Issue 12, defect 15: a --query ran COPY ... TO with external access on.
    path = tmp_path / "shop.duckdb"
    (tmp_path / "secret.csv").write_text("root:x:0:0\n")
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE orders AS SELECT * FROM ORDERS")
    with pytest.raises(sw.DataError, match="Permission Error") as caught:
        sw.read_transactions(path, query=query.format(tmp=tmp_path))
    assert "root:x" not in str(caught.value)
    assert not (tmp_path / "leak.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()


def test_sqlite_query_cannot_attach_files(tmp_path: Path) -> None:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE orders (customer_id TEXT)")
    with pytest.raises(sw.DataError, match="too many attached databases"):
        sw.read_transactions(path, query=f"ATTACH '{tmp_path}/new.db' AS x")
    assert not (tmp_path / "new.db").exists()


def test_mixed_id_types_across_sources_join_as_text() -> None:
    # Issue 12, defect 14: integer ids in transactions and text ids in events failed to join.
    orders = pl.DataFrame(
        {"customer_id": [1, 2], "order_date": ["2024-01-01", "2024-01-02"], "amount": [5.0, 7.0]}
    )
    events = pl.DataFrame(
        {"customer_id": ["1", "2"], "ts": ["2024-01-01", "2024-01-02"], "event": ["visit"] * 2}
    )
    features = sw.customer_features(
        sw.read_transactions(orders), events=sw.read_events(events), as_of="2024-01-31"
    )
    table = features if isinstance(features, pl.DataFrame) else features.collect()
    assert table.sort("customer_id")["customer_id"].to_list() == ["1", "2"]


def test_ids_stay_the_same_text_when_a_source_switches_to_integers(tmp_path: Path) -> None:
    # Issue 12, defect 27: stored ids drifted when a source changed from text to integer ids.
    as_text = pl.DataFrame(
        {"customer_id": ["17850"], "order_date": ["2024-01-01"], "amount": [1.0]}
    )
    as_int = as_text.with_columns(pl.col("customer_id").cast(pl.Int64))
    as_float = as_text.with_columns(pl.col("customer_id").cast(pl.Float64))
    ids = [
        sw.read_transactions(frame).to_native()["customer_id"].to_list()
        for frame in (as_text, as_int, as_float)
    ]
    assert ids == [["17850"]] * 3


def test_timestamps_with_fractional_seconds_as_polars_and_pandas_write_them(
    tmp_path: Path,
) -> None:
    moments = [datetime(2024, 7, 22, 3, 23, 21, 250_000), datetime(2024, 7, 23, 1, 0)]
    path = tmp_path / "orders.csv"
    pl.DataFrame({"customer_id": ["a", "b"], "timestamp": moments, "amount": [1.0, 2.0]}).write_csv(
        path
    )
    assert "2024-07-22T03:23:21.250000" in path.read_text()  # Polars' own CSV form
    for source in (path, duckdb.read_csv(str(path), all_varchar=True)):
        data = sw.read_transactions(source).data.collect().to_native()
        assert pl.DataFrame(data)["timestamp"].to_list() == moments


def test_iso_dates_of_a_csv_are_dates_as_in_parquet(tmp_path: Path) -> None:
    import datetime as dt

    rows = ["customer_id,signup_date,birthday_eu,age"]
    rows += [f"C{i},2023-{1 + i % 12:02d}-{1 + i % 28:02d},{1 + i % 28}/0{1 + i % 9}/1990,30"
             for i in range(10_050)]  # fmt: skip
    path = tmp_path / "crm.csv"
    path.write_text("\n".join(rows) + "\n")
    people = sw.read_customers(path)
    schema = people.data.collect_schema()
    # A sign-up date reads as a date (a rule can take days_since() of it); so does a
    # day/month date, whose days past the 12th say it is day-first.
    assert str(schema["signup_date"]) == "Date"
    first = people.data.select("signup_date", "birthday_eu").head(1).collect().row(0)
    assert first == (dt.date(2023, 1, 1), dt.date(1990, 1, 1))
    assert not [n for n in people.notes if "read as text" in n]
    # A bad value past the rows types are inferred from keeps the column text, and says so.
    rows[10_040] = rows[10_040].replace(",2023-", ",2023/", 1)
    path.write_text("\n".join(rows) + "\n")
    late = sw.read_customers(path)
    assert late.data.select("signup_date").head(1).collect().item() == "2023-01-01"
    said = [n for n in late.notes if n.startswith("column 'signup_date'")]
    assert said == [
        "column 'signup_date' read as text: row 10040 is not a date written %Y-%m-%d, "
        "though the first rows are"
    ]


def test_dates_that_read_both_ways_are_warned_about_once_named(tmp_path: Path) -> None:
    # Every order on the 1st to the 12th (a monthly subscription, say): "03/04/2024" is
    # 3 April or 4 March, and the column alone cannot tell. Read day-first, and said.
    path = tmp_path / "orders.csv"
    path.write_text(
        "customer_id,order_date,amount\n"
        + "".join(f"c{i},{1 + i % 12:02d}/{1 + (i * 5) % 12:02d}/2024,10\n" for i in range(60))
    )
    with pytest.warns(AmbiguousDatesWarning) as caught:
        dataset = sw.read_transactions(path)
    [warning] = caught
    assert (warning.message.read_as, warning.message.other) == ("%d/%m/%Y", "%m/%d/%Y")
    assert "column 'order_date'" in str(warning.message)
    assert "pass --date-format '%m/%d/%Y'" in str(warning.message)
    data = dataset.data.collect(backend="polars").to_native()
    assert data["timestamp"].dt.day().max() <= 12
    # Given the pattern, or with one day past the 12th, nothing is said.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        month_first = sw.read_transactions(path, timestamp_format="%m/%d/%Y")
        assert month_first.quality().rows_used == 60
        path.write_text(path.read_text() + "c99,25/12/2024,10\n")
        assert sw.read_transactions(path).quality().rows_used == 61


def test_a_date_sorted_month_first_export_is_read_month_first_by_its_later_rows(
    tmp_path: Path,
) -> None:
    # Its first 2,000 rows (the sample) are from 1 to 6 December, which read either way;
    # day-first won the tie, and every row from the 13th on was quarantined as unreadable.
    path = tmp_path / "orders.csv"
    early = [f"c{i % 50},12/{1 + i // 400}/2024 10:{i % 60:02d},5\n" for i in range(2_400)]
    late = [f"c{i % 50},12/{13 + i // 100}/2024 11:00,5\n" for i in range(600)]
    path.write_text("customer_id,order_date,amount\n" + "".join(early + late))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dataset = sw.read_transactions(path)
    report = dataset.quality()
    assert (report.rows_used, report.rows_quarantined) == (3_000, 0)
    assert "timestamps parsed with the pattern %m/%d/%Y %H:%M" in report.notes
    days = dataset.data.collect(backend="polars").to_native()["timestamp"].dt.date()
    assert (days.min(), days.max()) == (date(2024, 12, 1), date(2024, 12, 18))


def test_ids_a_float_column_wrote_are_read_as_the_whole_numbers_they_are(
    tmp_path: Path,
) -> None:
    # pandas writes integer ids with gaps as floats ("17850.0"); the CRM's table says 17850.
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "CustomerID,InvoiceDate,Amount\n17850.0,2024-01-05,10\n13047.0,2024-01-06,5\n"
        ",2024-01-07,3\n17850.0,2024-02-01,7\n"
    )
    customers = tmp_path / "crm.csv"
    customers.write_text("customer_id,email\n17850,a@x.com\n13047,b@x.com\n")
    dataset = sw.read_transactions(orders)
    assert sorted(dataset.to_native()["customer_id"].unique().to_list()) == ["13047", "17850"]
    assert any("whole numbers with .0" in note for note in dataset.quality().notes)
    assert dataset.customer_ids().collect()["customer_id"].sort().to_list() == ["13047", "17850"]
    assert dataset.without_customers(["17850"]).to_native()["customer_id"].to_list() == ["13047"]
    crm = sw.read_customers(customers).to_native()["customer_id"].to_list()
    assert set(crm) == set(dataset.to_native()["customer_id"])
    # The same on DuckDB, where the ids stay in the engine.
    relation = duckdb.read_csv(str(orders), all_varchar=True)
    on_duckdb = sw.read_transactions(relation, customer_id="CustomerID")
    ids = on_duckdb.data.select("customer_id").collect(backend="polars")["customer_id"]
    assert sorted(ids.unique().to_list()) == ["13047", "17850"]
    # One id that is not a whole float keeps them all as written: they are text ids.
    orders.write_text(orders.read_text() + "A1,2024-02-02,4\n")
    mixed = sw.read_transactions(orders).to_native()["customer_id"].unique().to_list()
    assert sorted(mixed) == ["13047.0", "17850.0", "A1"]
