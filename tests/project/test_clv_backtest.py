"""The clv backtest's frame, computed whole or in disjoint sets of customers (CDNOW)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl
import pytest

from segwise.project.clv_backtest import holdout_backtest, holdout_frame

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def purchases(shared_data: Path) -> pl.LazyFrame:
    return (
        pl.scan_csv(
            shared_data / "cdnow_sample_transactions.csv.gz",
            schema_overrides={"customer_id": pl.String},
        )
        .with_columns(pl.col("date").str.to_date().cast(pl.Datetime).alias("timestamp"))
        .rename({"dollar_value": "amount"})
        .filter(pl.col("amount") > 0)
    )


@pytest.mark.realdata
def test_the_holdout_frame_in_parts_is_the_whole_frame(purchases: pl.LazyFrame) -> None:
    dates = {"calibration_end": dt.date(1997, 9, 30), "holdout_end": dt.date(1998, 6, 30)}
    whole = holdout_frame(purchases, **dates, time_unit="W")
    in_parts = holdout_frame(purchases, **dates, time_unit="W", parts=3)
    cohort = purchases.filter(pl.col("timestamp") < dt.datetime(1997, 10, 1))
    assert whole.height == cohort.select(pl.col("customer_id").n_unique()).collect().item()
    assert in_parts.equals(whole)


@pytest.mark.realdata
def test_the_backtest_in_parts_gives_the_same_verdict(purchases: pl.LazyFrame) -> None:
    settings = {
        "calibration_end": dt.date(1997, 9, 30),
        "holdout_end": dt.date(1998, 6, 30),
        "time_unit": "W",
        "tiers": [0.2, 0.6],
    }
    whole, whole_diagnostics = holdout_backtest(purchases, **settings)  # type: ignore[arg-type]
    split, split_diagnostics = holdout_backtest(purchases, **settings, parts=4)  # type: ignore[arg-type]
    assert split.to_dict() == whole.to_dict()
    assert split_diagnostics.tracking.equals(whole_diagnostics.tracking)
