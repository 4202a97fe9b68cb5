"""`segwise rfm --orders-col`: a customer table scores as the transactions behind it do."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.realdata
def test_a_customer_table_scores_like_its_transactions(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "cdnow_sample_transactions.csv.gz"
    tx = pl.read_csv(source, schema_overrides={"customer_id": pl.String})
    crm = tmp_path / "crm.csv"
    tx.group_by("customer_id").agg(
        pl.col("date").n_unique().alias("orders"),
        pl.col("dollar_value").sum().alias("revenue"),
        pl.col("date").max().alias("last_order"),
    ).write_csv(crm)
    common = ["--as-of", "1998-06-30", "--json"]
    by_orders = CliRunner().invoke(app, ["rfm", str(crm), "--orders-col", "orders",
                                         "--amount-col", "revenue", "--date-col", "last_order",
                                         *common])  # fmt: skip
    assert by_orders.exit_code == 0, by_orders.output
    by_days = CliRunner().invoke(app, ["rfm", str(source), "--date-col", "date",
                                       "--amount-col", "dollar_value", "--frequency", "days",
                                       *common])  # fmt: skip
    assert by_days.exit_code == 0, by_days.output
    found, expected = json.loads(by_orders.stdout), json.loads(by_days.stdout)
    assert len(found) == 2_357
    assert [r["segment"] for r in found] == [r["segment"] for r in expected]
    assert [r["rfm_score"] for r in found] == [r["rfm_score"] for r in expected]


def test_a_customer_table_needs_its_date_and_revenue(tmp_path: Path) -> None:
    crm = tmp_path / "crm.csv"
    crm.write_text("id,orders,revenue,last\na,2,20,2024-01-01\n")
    result = CliRunner().invoke(app, ["rfm", str(crm), "--orders-col", "orders"])
    assert result.exit_code == 1
    assert "--orders-col reads a customer table" in result.output
