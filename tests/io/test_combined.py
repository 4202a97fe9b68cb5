"""Several sources read as one: stacked rows, stacked quarantines, reports that add up."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import narwhals.stable.v2 as nw
import polars as pl
import pytest
from typer.testing import CliRunner

import segwise as sw
from segwise.cli.app import app
from segwise.exceptions import DataError
from segwise.features.rfm import RFMBinningWarning
from segwise.io.combined import CombinedDataset, OverlappingSourcesWarning
from segwise.io.overlaps import REPEATED

runner = CliRunner()


def _write(tmp_path: Path) -> tuple[Path, Path]:
    january = tmp_path / "2024-01.csv"
    january.write_text(
        "customer_id,date,amount,order_id\n"
        "001,2024-01-05,10.0,A1\n"
        "002,2024-01-09,,A2\n"
        "003,2024-01-12,7.5,A3\n"
    )
    # The second export names its columns differently and writes days first (the 14th
    # says so: with days up to the 12th only, the file could be month-first).
    february = tmp_path / "2024-02.csv"
    february.write_text(
        "CustomerID;InvoiceDate;Amount;InvoiceNo\n"
        "001;01/02/2024;4,5;B1\n"
        "004;03/02/2024;20,0;B2\n"
        ";14/02/2024;1,0;B3\n"
    )
    return january, february


def test_parts_are_read_on_their_own_and_stacked(tmp_path: Path) -> None:
    january, february = _write(tmp_path)
    both = sw.read_transactions([january, february], timestamp_format=None)
    assert isinstance(both, CombinedDataset)
    rows = both.data.collect(backend="polars").to_native().sort("customer_id", "timestamp")
    assert rows["customer_id"].to_list() == ["001", "001", "003", "004"]
    assert rows["amount"].to_list() == [10.0, 4.5, 7.5, 20.0]
    assert rows["order_id"].to_list() == ["A1", "B1", "A3", "B2"]


def test_the_report_adds_up_and_counts_customers_across_parts(tmp_path: Path) -> None:
    january, february = _write(tmp_path)
    both = sw.read_transactions([january, february])
    report = both.quality()
    parts = both.reports()
    assert [r.rows_read for r in parts] == [3, 3]
    assert report.rows_read == 6
    assert report.rows_used == 4
    assert report.rows_quarantined == 2
    assert report.balanced
    assert report.excluded["missing_amount"] == 1
    assert report.excluded["missing_customer_id"] == 1
    # 001 is in both files: three customers, not four.
    assert report.customers == 3
    assert sum(r.customers for r in parts) == 4
    assert report.total_amount == pytest.approx(42.0)
    assert str(report.first_timestamp)[:10] == "2024-01-05"
    assert str(report.last_timestamp)[:10] == "2024-02-03"
    assert report.source == f"{january} + {february}"
    assert any(n.startswith(f"{february}: ") for n in report.notes)


def test_the_quarantine_names_the_source_of_each_row(tmp_path: Path) -> None:
    january, february = _write(tmp_path)
    target = tmp_path / "quarantine.csv"
    sw.read_transactions([january, february]).write_quarantine(target)
    rows = pl.read_csv(target, infer_schema=False)
    assert rows.columns[:3] == ["row", "source", "reason"]
    assert sorted(zip(rows["source"], rows["row"], rows["reason"], strict=True)) == [
        (str(january), "2", "missing_amount"),
        (str(february), "3", "missing_customer_id"),
    ]


def test_one_source_in_a_list_is_a_plain_dataset(tmp_path: Path) -> None:
    january, _ = _write(tmp_path)
    one = sw.read_transactions([january])
    assert type(one) is sw.Dataset
    assert one.reports() == [one.quality()]


def test_rfm_of_two_files_equals_rfm_of_their_union(tmp_path: Path) -> None:
    january, february = _write(tmp_path)
    union = tmp_path / "union.csv"
    union.write_text(
        "customer_id,date,amount,order_id\n"
        "001,2024-01-05,10.0,A1\n003,2024-01-12,7.5,A3\n"
        "001,2024-02-01,4.5,B1\n004,2024-02-03,20.0,B2\n"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RFMBinningWarning)  # three customers, five bins
        stacked = sw.rfm_table(sw.read_transactions([january, february]), as_of="2024-02-29")
        single = sw.rfm_table(sw.read_transactions(union), as_of="2024-02-29")
    assert stacked.sort("customer_id").equals(single.sort("customer_id"))


def test_the_cli_reads_several_files_as_one_table(tmp_path: Path) -> None:
    january, february = _write(tmp_path)
    result = runner.invoke(
        app, ["rfm", str(january), str(february), "--as-of", "2024-02-29", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = {row["customer_id"]: row for row in json.loads(result.stdout)}
    assert rows["001"]["frequency"] == 2
    assert rows["001"]["monetary"] == pytest.approx(14.5)
    assert set(rows) == {"001", "003", "004"}


def test_numeric_and_text_ids_are_one_customer() -> None:
    text = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-01"], "amount": [1.0]})
    numbers = pl.DataFrame({"customer_id": [1], "date": ["2024-01-02"], "amount": [2.0]})
    assert sw.read_transactions([text, numbers]).quality().customers == 1


def test_sources_on_two_engines_are_refused() -> None:
    import duckdb

    frame = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-01"], "amount": [1.0]})
    relation = duckdb.sql("SELECT '2' AS customer_id, DATE '2024-01-02' AS date, 2.0 AS amount")
    with pytest.raises(DataError, match="cannot stack a duckdb source on a polars one"):
        sw.read_transactions([frame, relation])


def test_shops_writing_two_currencies_are_refused_and_one_currency_is_kept(
    tmp_path: Path,
) -> None:
    uk, fr, ie = tmp_path / "uk.csv", tmp_path / "fr.csv", tmp_path / "ie.csv"
    uk.write_text('customer_id,date,amount\n1,2024-01-01,"£1,250.00"\n')
    fr.write_text("customer_id;date;amount\n2;2024-01-02;1.250,00 €\n", encoding="utf-8")
    ie.write_text("customer_id,date,amount\n3,2024-01-03,€80.00\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"in 'GBP' in .*uk.csv and in 'EUR' here"):
        sw.read_transactions([uk, fr])
    both = sw.read_transactions([fr, ie])
    assert both.currency == "EUR"
    assert both.quality().total_amount == pytest.approx(1330.0)


def test_payment_exports_in_two_currencies_are_refused_and_agreeing_ones_kept() -> None:
    # Each file names its currency in a column (Stripe's): one in EUR and one in USD were
    # stacked and their amounts added up as one currency.
    def payments(customer: str, amount: object, currency: str) -> pl.DataFrame:
        return pl.DataFrame(
            {"customer_id": [customer], "date": ["2024-01-05"], "amount": [amount]}
        ).with_columns(pl.lit(currency).alias("Currency"))

    euro, dollar = payments("1", 10.0, "EUR"), payments("2", 5.0, "USD")
    with pytest.raises(DataError, match=r"in 'EUR' in .* and in 'USD' here"):
        sw.read_transactions([euro, dollar])
    # A sign and a column naming the same currency agree.
    signed = pl.DataFrame({"customer_id": ["3"], "date": ["2024-01-06"], "amount": ["€2.50"]})
    both = sw.read_transactions([euro, signed])
    assert both.currency == "EUR"
    assert both.quality().total_amount == pytest.approx(12.5)
    # Signs that name several currencies are compared as written.
    crowns = pl.DataFrame({"customer_id": ["4"], "date": ["2024-01-07"], "amount": ["kr 9"]})
    dollars = pl.DataFrame({"customer_id": ["5"], "date": ["2024-01-08"], "amount": ["$4"]})
    with pytest.raises(DataError, match=r"in 'kr' in .* and in '\$' here"):
        sw.read_transactions([crowns, dollars])


def test_parts_in_plain_numbers_have_no_currency() -> None:
    january = pl.DataFrame({"customer_id": ["1"], "date": ["2024-01-05"], "amount": [10.0]})
    february = pl.DataFrame({"customer_id": ["2"], "date": ["2024-02-05"], "amount": [4.0]})
    assert sw.read_transactions([january, february]).currency is None


def test_customer_tables_are_not_stacked() -> None:
    people = pl.DataFrame({"customer_id": ["1"], "age": [30]})
    with pytest.raises(DataError, match="read_customers takes one source"):
        sw.read_customers([people, people])


def test_events_can_be_stacked() -> None:
    web = pl.DataFrame({"user_id": [1, 2], "ts": ["2024-01-01"] * 2, "event": ["visit"] * 2})
    app_events = pl.DataFrame({"user_id": [2], "ts": ["2024-01-03"], "event": ["open"]})
    both = sw.read_events([web, app_events])
    assert both.quality().rows_used == 3
    assert both.quality().customers == 2


def _monthly_exports() -> tuple[pl.DataFrame, pl.DataFrame]:
    # Two monthly exports that both hold 31 January: order A2's two lines are in each.
    january = pl.DataFrame(
        {
            "customer_id": ["1", "2", "2"],
            "order_id": [1, 2, 2],
            "date": ["2024-01-05", "2024-01-31", "2024-01-31"],
            "amount": [10.0, 5.0, 5.0],
        }
    )
    february = pl.DataFrame(
        {
            "CustomerID": ["2", "2", "3", "4"],
            "InvoiceNo": ["2", "2", "3", None],
            "InvoiceDate": ["2024-01-31", "2024-01-31", "2024-02-01", "2024-02-02"],
            "Amount": [5.0, 5.0, 4.5, 1.0],
        }
    )
    return january, february


#: Each test of the monthly exports on Polars, DuckDB and Spark (:func:`_on_engine`).
ON_ENGINES = pytest.mark.parametrize(
    "engine", ["polars", "duckdb", pytest.param("spark", marks=pytest.mark.spark)]
)


def _on_engine(engine: str, request: pytest.FixtureRequest) -> list[object]:
    """:func:`_monthly_exports` as frames of ``engine``."""
    january, february = _monthly_exports()
    if engine == "duckdb":
        import duckdb

        return [duckdb.from_arrow(frame.to_arrow()) for frame in (january, february)]
    if engine == "spark":
        spark = request.getfixturevalue("spark")
        return [spark.createDataFrame(frame.to_arrow()) for frame in (january, february)]
    return [january, february]


@ON_ENGINES
def test_exports_that_overlap_are_counted_said_and_kept(
    engine: str, request: pytest.FixtureRequest
) -> None:
    parts = _on_engine(engine, request)
    both = sw.read_transactions(parts)
    with pytest.warns(OverlappingSourcesWarning, match="2 rows equal a row of"):
        report = both.quality()
    # Compared with the order id read as a number in one part and as text in the other,
    # which the stacked rows hold as text.
    assert report.checks["repeated_from_earlier_source"] == 2
    assert both.data.collect_schema()["order_id"] == nw.String
    assert any("overlap in time" in note for note in report.notes)
    # Counted and said, not dropped: two shops' files may share a row by chance.
    assert report.rows_used == 7
    assert report.total_amount == pytest.approx(35.5)


@ON_ENGINES
def test_under_duplicates_drop_the_overlap_is_quarantined_from_the_later_export(
    engine: str, request: pytest.FixtureRequest
) -> None:
    parts = _on_engine(engine, request)
    both = sw.read_transactions(parts, duplicates="drop")
    with pytest.warns(OverlappingSourcesWarning, match="1 row equals .* quarantined from it as"):
        report = both.quality()
    # Each file's own copies go first (duplicate); then February's line of order 2, which
    # January holds, goes as repeated. Its row 4 has no order id: not compared, kept.
    assert (report.rows_read, report.rows_used, report.rows_quarantined) == (7, 4, 3)
    assert (report.excluded["duplicate"], report.excluded["repeated_from_earlier_source"]) == (
        2,
        1,
    )
    assert report.first_excluded_row["repeated_from_earlier_source"] == 1
    assert report.total_amount == pytest.approx(20.5) and report.customers == 4
    used = _polars(both.data).sort("customer_id", "timestamp")
    assert used["amount"].to_list() == [10.0, 5.0, 4.5, 1.0]
    later = both.reports()[1]
    assert (later.rows_used, later.customers) == (2, 2)
    assert str(later.first_timestamp) == "2024-02-01 00:00:00"
    held = _polars(both.quarantine())
    assert sorted(held.select("row", "reason").rows()) == [
        (1, REPEATED),  # February's row 1; its row 2 copies it
        (2, "duplicate"),
        (3, "duplicate"),  # January's row 3 copies its row 2
    ]
    assert held.filter(pl.col("reason") == REPEATED)["InvoiceNo"].to_list() == ["2"]


def _polars(frame: nw.LazyFrame) -> pl.DataFrame:  # type: ignore[type-arg]
    collected: pl.DataFrame = frame.collect(backend="polars").to_native()
    return collected


def test_files_without_shared_rows_are_not_flagged() -> None:
    january, february = _monthly_exports()
    later = february.filter(pl.col("InvoiceDate") > "2024-01-31")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = sw.read_transactions([january, later]).quality()
    assert report.checks["repeated_from_earlier_source"] == 0
    # A row is one purchase read twice only where every column read agrees.
    cheaper = february.with_columns(pl.col("Amount") - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sw.read_transactions([january, cheaper]).overlaps() == []


def test_the_cli_says_which_file_repeats_which(tmp_path: Path) -> None:
    import subprocess
    import sys

    january, february = _monthly_exports()
    first, second = tmp_path / "january.csv", tmp_path / "february.csv"
    january.write_csv(first)
    february.write_csv(second)
    segwise = Path(sys.executable).with_name("segwise")
    scored = subprocess.run(
        [str(segwise), "rfm", str(first), str(second), "--as-of", "2024-02-29", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert scored.returncode == 0, scored.stderr
    said = [line for line in scored.stderr.splitlines() if line.startswith("warning:")]
    assert said == [
        f"warning: {second}: 2 rows equal a row of {first} (exports that overlap in time?): "
        "each is counted in both; take the overlap out of one of them, or set duplicates: drop "
        "on the source (--duplicates drop) to quarantine it"
    ]
    checked = runner.invoke(app, ["quality", str(first), str(second), "--json", "--no-quarantine"])
    assert checked.exit_code == 0, checked.stderr
    reports = json.loads(checked.stdout)
    assert [r["checks"].get("repeated_from_earlier_source", 0) for r in reports] == [0, 2]
    # Told to drop them, a quick command quarantines the repeat and says so, file by file.
    dropped = subprocess.run(
        [str(segwise), "rfm", str(first), str(second), "--duplicates", "drop"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert dropped.returncode == 0, dropped.stderr
    assert "quarantined from it as repeated_from_earlier_source" in dropped.stderr
    assert (
        f"note: {second}: 2 of 4 rows left out (repeats a row of an earlier file read with "
        "it (policy: drop): 1; exact duplicate of an earlier row (policy: drop): 1)"
    ) in dropped.stderr


def test_event_logs_that_overlap_are_said_too() -> None:
    # Daily event dumps taken at 00:30 hold the last half hour of the day before again.
    monday = pl.DataFrame(
        {
            "user_id": [1, 2],
            "ts": ["2024-01-01 10:00:00", "2024-01-02 00:10:00"],
            "event": ["visit", "app_open"],
        }
    )
    tuesday = pl.DataFrame(
        {
            "user_id": [2, 2],
            "ts": ["2024-01-02 00:10:00", "2024-01-02 09:00:00"],
            "event": ["app_open", "app_open"],
        }
    )
    both = sw.read_events([monday, tuesday])
    with pytest.warns(OverlappingSourcesWarning, match="1 row equals a row of"):
        report = both.quality()
    assert report.checks["repeated_from_earlier_source"] == 1
    assert report.rows_used == 4


def test_every_reading_of_a_dataset_works_on_files_read_as_one() -> None:
    # A folder of sources failed with AttributeError ('_raw') wherever a Dataset method was
    # not written for several parts: pseudonymising (privacy.pseudonymise), the experiment's
    # exposures, the quick commands' count of rows left out.
    january, february = _monthly_exports()
    both = sw.read_transactions([january, february.with_columns(pl.lit("x").alias("Note"))])
    read, excluded = both.exclusions()
    assert read == both.rows_read() == 7 and sum(excluded.values()) == 0
    hidden = both.with_pseudonyms(lambda ids: [f"p{i}" for i in ids], ["Note"])
    assert sorted(set(_polars(hidden.data)["customer_id"])) == ["p1", "p2", "p3", "p4"]
    assert set(_polars(hidden.data)["Note"].drop_nulls()) == {"px"}
    assert isinstance(hidden, CombinedDataset)
    # The same customer in two variants, one per day's log: kept for the readout to drop.
    monday = pl.DataFrame(
        {"customer_id": ["1", "2"], "experiment": ["e", "e"], "variant": ["A", "B"],
         "timestamp": ["2024-01-01", "2024-01-01"]}
    )  # fmt: skip
    tuesday = monday.with_columns(
        pl.col("variant").reverse(), pl.lit("2024-01-02").alias("timestamp")
    )
    logs = sw.read_exposures([monday, tuesday])
    seen = _polars(logs.exposures_with_crossovers())
    variants = seen.group_by("customer_id").agg(pl.col("variant").n_unique()).sort("customer_id")
    assert variants.rows() == [("1", 2), ("2", 2)] and seen.height == 4
