"""Calendar periods: the BTYD summary in ISO weeks and months, as pandas' periods count them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb
import pandas as pd
import polars as pl
import pytest

import segwise as sw
from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from pathlib import Path

PANDAS_FREQ = {"isoweek": "W-SUN", "month": "M"}  # ISO weeks end on Sunday


def _by_pandas(tx: pd.DataFrame, end: str, unit: str) -> pd.DataFrame:
    """lifetimes' definition: distinct periods, ages in whole periods from the first."""
    periods = tx.assign(period=pd.to_datetime(tx["date"]).dt.to_period(PANDAS_FREQ[unit]))
    periods = periods[pd.to_datetime(periods["date"]) <= pd.Timestamp(end)]
    last = pd.Period(end, freq=PANDAS_FREQ[unit])
    grouped = periods.groupby("customer_id")["period"]
    first, latest = grouped.min(), grouped.max()
    return pd.DataFrame(
        {
            "frequency": grouped.nunique().astype(float) - 1,
            "recency": [(b - a).n for a, b in zip(first, latest, strict=True)],
            "T": [(last - a).n for a in first],
        },
        index=first.index,
    ).sort_index()


@pytest.mark.realdata
@pytest.mark.parametrize("unit", ["isoweek", "month"])
def test_calendar_periods_count_as_pandas_periods(shared_data: Path, unit: str) -> None:
    tx = pd.read_csv(shared_data / "cdnow_sample_transactions.csv.gz", dtype={"customer_id": str})
    end = "1997-09-30"
    found = sw.rfm_summary(pl.from_pandas(tx), "customer_id", "date", "dollar_value",
                           observation_period_end=end, time_unit=unit)  # fmt: skip
    expected = _by_pandas(tx, end, unit)
    assert found["customer_id"].to_list() == expected.index.tolist()
    for column in ("frequency", "recency", "T"):
        assert found[column].to_list() == expected[column].astype(float).tolist(), column
    on_duckdb = sw.rfm_summary(duckdb.from_df(tx), "customer_id", "date", "dollar_value",
                               observation_period_end=end, time_unit=unit)  # fmt: skip
    assert pl.from_arrow(on_duckdb.arrow()).sort("customer_id").equals(found)


@pytest.mark.realdata
def test_the_holdout_counts_calendar_periods_too(shared_data: Path) -> None:
    tx = pl.read_csv(shared_data / "cdnow_sample_transactions.csv.gz",
                     schema_overrides={"customer_id": pl.String})  # fmt: skip
    split = sw.calibration_and_holdout_data(tx, "customer_id", "date", "1997-09-30",
                                            "1998-06-30", time_unit="month")  # fmt: skip
    assert split["duration_holdout"][0] == 9.0  # October to June
    daily = sw.calibration_and_holdout_data(tx, "customer_id", "date", "1997-09-30", "1998-06-30")
    assert (split["frequency_holdout"] <= daily["frequency_holdout"]).all()
    assert split["frequency_holdout"].max() <= 9


def test_an_unknown_unit_is_refused() -> None:
    tx = pl.DataFrame({"customer_id": ["a"], "timestamp": ["2024-01-01"]})
    with pytest.raises(ConfigError, match="time_unit must be one of D, W, isoweek, month"):
        sw.rfm_summary(tx, time_unit="Q")
