"""Acceptance counts on the real Online Retail data sets (../shared/data)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

import segwise as sw

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.realdata


def test_online_retail_counts(shared_data: Path) -> None:
    report = sw.read_transactions(shared_data / "online_retail_uci.csv.gz").quality()
    assert report.rows_read == 541_909
    assert report.checks["missing_customer_id"] == 135_080
    assert report.checks["cancellations"] == 9_288
    assert report.checks["duplicates"] == 5_268
    assert report.checks["negative_quantity"] == 10_624
    assert report.balanced
    assert report.columns["customer_id"] == "CustomerID"


def test_online_retail_common_cleaning(shared_data: Path) -> None:
    dataset = sw.read_transactions(
        shared_data / "online_retail_uci.csv.gz", policy="purchases-only"
    )
    report = dataset.quality()
    assert (report.rows_used, report.customers) == (397_884, 4_338)
    assert report.total_amount == pytest.approx(8_911_407.90, abs=0.01)
    assert report.rows_used + report.rows_quarantined == 541_909
    # Ids are kept as written, not turned into numbers.
    assert dataset.to_native()["customer_id"].dtype.is_(__import__("polars").String)


def test_online_retail_ii_names_are_detected(shared_data: Path) -> None:
    report = sw.read_transactions(shared_data / "online_retail_ii_2009_2010.csv.gz").quality()
    assert report.columns["customer_id"] == "Customer ID"
    assert report.columns["order_id"] == "Invoice"
    assert report.columns["unit_price"] == "Price"
    assert report.rows_read == 525_461
    assert report.checks["missing_customer_id"] == 107_927
    assert report.checks["cancellations"] == 10_206
    assert report.checks["duplicates"] == 6_865


def test_cdnow_zero_padded_ids_and_compact_dates(shared_data: Path, tmp_path: Path) -> None:
    import polars as pl

    raw = pl.read_csv(
        shared_data / "cdnow_master_transactions.csv.gz",
        schema_overrides={"customer_id": pl.String},
    )
    padded = raw.with_columns(
        pl.col("customer_id").str.zfill(5), pl.col("date").str.replace_all("-", "")
    )
    padded.write_csv(tmp_path / "cdnow.csv")
    dataset = sw.read_transactions(tmp_path / "cdnow.csv", amount="dollar_value")
    report = dataset.quality()
    assert report.rows_used == 69_659 and report.customers == 23_570
    assert report.timestamp_format == "%Y%m%d"
    assert report.total_amount == pytest.approx(2_500_315.63, abs=0.01)
    assert dataset.to_native()["customer_id"].min() == "00001"


def test_cli_quality_json_on_online_retail(shared_data: Path, tmp_path: Path) -> None:
    """The acceptance command: `segwise quality online_retail_uci.csv.gz --json`."""
    import json

    from typer.testing import CliRunner

    from segwise.cli.app import app

    quarantine = tmp_path / "q.parquet"
    result = CliRunner().invoke(
        app,
        [
            "quality",
            str(shared_data / "online_retail_uci.csv.gz"),
            "--json",
            "--quarantine",
            str(quarantine),
        ],
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["rows_read"] == 541_909
    assert report["checks"]["missing_customer_id"] == 135_080
    assert report["checks"]["cancellations"] == 9_288
    assert report["checks"]["duplicates"] == 5_268
    assert report["rows_read"] == report["rows_used"] + report["rows_quarantined"]
    import polars as pl

    assert pl.read_parquet(quarantine).height == report["rows_quarantined"]

    strict = CliRunner().invoke(
        app,
        [
            "quality",
            str(shared_data / "online_retail_uci.csv.gz"),
            "--policy",
            "purchases-only",
            "--json",
            "--no-quarantine",
        ],
    )
    payload = json.loads(strict.stdout)
    assert (payload["rows_used"], payload["customers"]) == (397_884, 4_338)


def test_the_two_online_retail_files_read_as_one_say_their_nine_days_overlap(
    shared_data: Path,
) -> None:
    import polars as pl

    from segwise.io.combined import OverlappingSourcesWarning

    # Online Retail II's first sheet runs to 2010-12-09 and the UCI file starts on
    # 2010-12-01: a user stacking the two years reads those days twice.
    second, first = (
        shared_data / "online_retail_ii_2009_2010.csv.gz",
        shared_data / "online_retail_uci.csv.gz",
    )
    both = sw.read_transactions([second, first])
    with pytest.warns(OverlappingSourcesWarning, match="online_retail_uci.csv.gz: 14,802 rows"):
        report = both.quality()
    # Expected from the raw files: UCI rows that have a customer and a price (the rows
    # used) equal in every field read to a row of the other file.
    key = ["invoice", "code", "quantity", "date", "price", "customer"]
    names = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID"]
    uci = pl.read_csv(first, infer_schema_length=0).select(
        pl.col(n).alias(k) for n, k in zip(names, key, strict=True)
    )
    names_ii = ["Invoice", "StockCode", "Quantity", "InvoiceDate", "Price", "Customer ID"]
    earlier = pl.read_csv(second, infer_schema_length=0).select(
        pl.col(n).alias(k) for n, k in zip(names_ii, key, strict=True)
    )
    typed = [pl.col("quantity").cast(pl.Int64), pl.col("price").cast(pl.Float64)]
    used = uci.with_columns(typed).filter(pl.col("customer").is_not_null() & (pl.col("price") > 0))
    expected = used.join(earlier.with_columns(typed).unique(), on=key, how="semi").height
    assert report.checks["repeated_from_earlier_source"] == expected == 14_802
