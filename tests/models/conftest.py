"""The CDNOW calibration summary the model tests share (39 weeks, weeks = days / 7)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="session")
def cdnow(shared_data: Path) -> pl.DataFrame:
    """Our own CDNOW calibration summary (39 weeks, weeks = days / 7, same-day merged)."""
    tx = pl.read_csv(
        shared_data / "cdnow_sample_transactions.csv.gz",
        schema_overrides={"customer_id": pl.String},
    )
    summary: pl.DataFrame = sw.rfm_summary(
        tx,
        "customer_id",
        "date",
        "dollar_value",
        observation_period_end="1997-09-30",
        time_unit="W",
    )
    assert summary.height == 2_357
    return summary
