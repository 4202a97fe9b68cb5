"""Customer-level input: the same RFM table and BTYD summary as from the transactions behind it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import polars as pl
import pytest

import segwise as sw
from segwise.exceptions import DataError
from segwise.features import RFMBinningWarning

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def cdnow(shared_data: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """CDNOW's transactions up to the calibration end, and the CRM-style table of them."""
    tx = (
        pl.read_csv(
            shared_data / "cdnow_sample_transactions.csv.gz",
            schema_overrides={"customer_id": pl.String},
        )
        .with_columns(pl.col("date").str.to_date())
        .filter(pl.col("date") <= pl.date(1997, 9, 30))
    )
    table = tx.group_by("customer_id").agg(
        pl.col("date").n_unique().alias("orders"),
        pl.col("dollar_value").sum().alias("revenue"),
        pl.col("date").min().cast(pl.String).alias("first_order"),
        pl.col("date").max().cast(pl.String).alias("last_order"),
    )
    return tx, table


@pytest.mark.realdata
def test_the_btyd_summary_equals_the_transactions_one(
    cdnow: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    tx, table = cdnow
    end = "1997-09-30"
    expected = sw.rfm_summary(tx, "customer_id", "date", "dollar_value",
                              observation_period_end=end, time_unit="W")  # fmt: skip
    found = sw.customer_summary(table, observation_period_end=end, time_unit="W")
    assert found.height == expected.height == 2_357
    for column in ("frequency", "recency", "T"):
        assert found[column].to_list() == pytest.approx(expected[column].to_list()), column
    # Fitted on it, BG/NBD gives the published CDNOW parameters.
    model = sw.BetaGeoModel().fit(found)
    assert model.params_["r"] == pytest.approx(0.2426, rel=0.005)
    # Totals cannot leave the first order out: the spend is the mean over all orders.
    repeaters = found.filter(pl.col("frequency") > 0).join(table, on="customer_id")
    assert (
        repeaters["monetary_value"] * (repeaters["frequency"] + 1) - repeaters["revenue"]
    ).abs().max() < 1e-9


@pytest.mark.realdata
def test_the_rfm_table_equals_the_transactions_one_on_every_engine(
    cdnow: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    tx, table = cdnow
    # CDNOW's many one-time buyers tie; both warn alike that frequency scores collapse.
    with pytest.warns(RFMBinningWarning, match="f_score: no customer scores 2"):
        expected = sw.rfm_table(tx, datetime_col="date", monetary_value_col="dollar_value",
                                as_of="1997-09-30", frequency="days")  # fmt: skip
    with pytest.warns(RFMBinningWarning, match="f_score: no customer scores 2"):
        found = sw.rfm_table_customer(table, as_of="1997-09-30")
    assert found.drop("monetary").equals(expected.drop("monetary"))
    assert found["monetary"].to_list() == pytest.approx(expected["monetary"].to_list())
    relation = duckdb.from_arrow(table.to_arrow())
    with pytest.warns(RFMBinningWarning):
        on_duckdb = sw.rfm_table_customer(relation, as_of="1997-09-30")
    assert on_duckdb["segment"].equals(found["segment"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"orders": [2, 0]}, "row 2: orders must be a whole number of at least 1"),
        ({"orders": [2.0, 1.5]}, "row 2: orders must be a whole number of at least 1"),
        ({"last_order": ["2024-02-01", "2024-13-45"]}, "row 2: the last order date is missing"),
        ({"last_order": ["2023-12-01", "2024-01-20"]}, "row 1: the last order is before the first"),
        ({"last_order": ["2024-02-01", "2024-03-05"]}, "row 2: the last order is after the as-of"),
        (
            {"orders": [2, 1], "first_order": ["2024-01-01", "2024-01-02"]},
            "row 2: one order, but the first and last order dates differ",
        ),
        ({"revenue": [10.0, None]}, "row 2: revenue is missing or not a number"),
    ],
)
def test_a_bad_row_is_refused_naming_it(change: dict[str, list[object]], message: str) -> None:
    table = {"customer_id": ["a", "b"], "orders": [2, 1], "revenue": [10.0, 5.0],
             "first_order": ["2024-01-01", "2024-01-20"],
             "last_order": ["2024-02-01", "2024-01-20"]} | change  # fmt: skip
    with pytest.raises(DataError, match=message):
        sw.customer_summary(pl.DataFrame(table), observation_period_end="2024-03-01")
