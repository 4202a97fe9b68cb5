"""Tracking on CDNOW: the BG/NBD fit against the cohort's actual repeat transactions."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

import segwise as sw
from segwise.models.tracking import (
    actual_cumulative_transactions,
    expected_cumulative_transactions,
    p_alive_path,
    pace_shift,
    tracking_table,
)

if TYPE_CHECKING:
    from pathlib import Path

ORIGIN = dt.date(1997, 1, 1)


def test_the_sum_is_per_customer() -> None:
    model = sw.ModifiedBetaGeoModel()
    model.params_ = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    starts = np.array([0.0, 3.0, 3.0, 11.5])
    times = np.array([0.0, 2.0, 3.0, 20.0, 78.0])
    one_by_one = sum(
        model.expected_purchases_new_customer(np.clip(times - s, 0, None)) for s in starts
    )
    assert expected_cumulative_transactions(model, starts, times) == pytest.approx(one_by_one)


@pytest.mark.realdata
def test_cdnow_tracks_the_holdout(shared_data: Path) -> None:
    """Calibrated on 39 weeks, the model's cumulative repeat transactions stay within 2% of
    the 2,357 customers' actual ones through week 52 and within 5% at week 78 (measured
    here: +1.6%, -1.7%, -4.0%)."""
    tx = pl.read_csv(
        shared_data / "cdnow_sample_transactions.csv.gz",
        schema_overrides={"customer_id": pl.String},
    ).with_columns(pl.col("date").str.to_date())
    summary = sw.rfm_summary(tx, "customer_id", "date", "dollar_value",
                             observation_period_end="1997-09-30", time_unit="W")  # fmt: skip
    model = sw.BetaGeoModel().fit(summary)
    days = tx.select("customer_id", "date").unique()  # purchases on one day are one
    first = days.group_by("customer_id").agg(pl.col("date").min().alias("first"))
    repeat = days.join(first, on="customer_id").filter(pl.col("date") > pl.col("first"))

    def weeks(column: str) -> pl.Expr:
        return pl.col(column).sub(pl.lit(ORIGIN)).dt.total_days() / 7

    starts = first.select(weeks("first")).to_series().to_numpy()
    repeats = repeat.select(weeks("date")).to_series().to_numpy()
    times = np.array([39.0, 52.0, 78.0])
    expected = expected_cumulative_transactions(model, starts, times)
    actual = actual_cumulative_transactions(repeats, times)
    gaps = expected / actual - 1
    assert abs(gaps[0]) < 0.02 and abs(gaps[1]) < 0.02 and abs(gaps[2]) < 0.05
    # The weekly table the reports chart is the same series, with the weeks' new ones.
    table = tracking_table(model, tx.rename({"date": "timestamp"}),
                           cohort_end=dt.date(1997, 9, 30), until=dt.date(1998, 6, 30))  # fmt: skip
    assert table.height == 78
    picked = table.filter(pl.col("week").is_in([39, 52, 78]))
    assert picked["expected"].to_numpy() == pytest.approx(expected)
    assert picked["actual"].to_list() == actual.tolist()
    assert table["actual_new"].sum() == actual[-1]
    assert table["actual"].dtype.is_integer()  # counts, not floats
    assert table["week_ending"][38] == dt.date(1997, 9, 30)
    assert pace_shift(table, dt.date(1997, 9, 30)) is None  # the cohort held its pace
    # Pareto/NBD tracks too (a new customer's expectation in closed form): -1.5% at week 78.
    pareto = tracking_table(
        sw.ParetoNBDModel().fit(summary),
        tx.rename({"date": "timestamp"}),
        cohort_end=dt.date(1997, 9, 30),
        until=dt.date(1998, 6, 30),
    )
    assert abs(pareto["expected"][77] / pareto["actual"][77] - 1) < 0.02


@pytest.mark.realdata
def test_a_season_after_the_calibration_is_named_as_the_miss(shared_data: Path) -> None:
    """Online Retail calibrated to 2011-09-09: its holdout runs into the Christmas trade.

    The model is 25% short on the holdout's total; the cohort had bought at its pace in
    the 13 weeks before (measured: 0.98×, then 1.32×), so the run says the pace rose.
    """
    dataset = sw.read_transactions(
        shared_data / "online_retail_uci.csv.gz", policy="purchases-only"
    )
    summary = sw.rfm_summary(dataset, observation_period_end="2011-09-09", time_unit="W")
    model = sw.BetaGeoModel().fit(summary)
    table = tracking_table(model, dataset.data, cohort_end=dt.date(2011, 9, 9),
                           until=dt.date(2011, 12, 9))  # fmt: skip
    said = pace_shift(table, dt.date(2011, 9, 9))
    assert said is not None and "pace rose" in said and "peak run low" in said
    # Cut the holdout to the 13 weeks before the calibration end: no change to explain.
    assert pace_shift(table.filter(pl.col("week_ending") <= dt.date(2011, 9, 9)),
                      dt.date(2011, 6, 10)) is None  # fmt: skip


def test_a_fall_in_pace_reads_as_a_lull() -> None:
    weeks = [dt.date(2024, 1, 7) + dt.timedelta(days=7 * w) for w in range(10)]
    table = pl.DataFrame({"week_ending": weeks, "actual_new": [20] * 5 + [12] * 5,
                          "expected_new": [20.0] * 10})  # fmt: skip
    said = pace_shift(table, weeks[4])
    assert said is not None and "0.60×" in said and "fell" in said and "lull run high" in said
    # A holdout the model missed by under a tenth needs no explanation.
    near = table.with_columns(actual_new=pl.Series([20] * 5 + [19] * 5))
    assert pace_shift(near, weeks[4]) is None
    # A model already off before the calibration end: the change is not the whole story.
    off = table.with_columns(actual_new=pl.Series([14] * 5 + [24] * 5))
    assert pace_shift(off, weeks[4]) is None


@pytest.mark.realdata
def test_counting_in_parts_gives_the_same_table(shared_data: Path) -> None:
    """Large bases count the cohort in disjoint sets of customers: the same weekly table."""
    tx = pl.read_csv(
        shared_data / "cdnow_sample_transactions.csv.gz",
        schema_overrides={"customer_id": pl.String},
    ).with_columns(pl.col("date").str.to_date().alias("timestamp"))
    model = sw.BetaGeoModel()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    dates = {"cohort_end": dt.date(1997, 9, 30), "until": dt.date(1998, 6, 30)}
    whole = tracking_table(model, tx.lazy(), **dates)
    in_parts = tracking_table(model, tx.lazy(), **dates, parts=5)
    assert in_parts.equals(whole)
    assert whole["actual"][-1] > 0


def test_the_p_alive_path_follows_the_history_as_it_unfolds() -> None:
    model = sw.BetaGeoModel()
    model.params_ = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    times = np.array([-1.0, 0.0, 2.0, 2.9, 3.0, 9.0, 9.99, 10.0, 20.0, 40.0])
    path = p_alive_path(model, [10.0, 0.0, 3.0], times)
    assert np.isnan(path[0])
    assert path[1] == path[2] == path[3] == 1.0  # no repeat purchase yet: BG/NBD says alive
    at_20 = model.p_alive({"frequency": [2.0], "recency": [10.0], "T": [20.0]})[0]
    assert path[8] == pytest.approx(at_20)
    assert path[4] > path[5] > path[6]  # fades in the silence after the second purchase
    assert path[7] > path[6] and path[9] < path[8]  # rises at the third, fades after


def test_counted_purchases_sum_as_whole_numbers() -> None:
    # The engine returns per-day counts as unsigned integers; their running sum stays whole.
    counts = np.array([2, 1, 1], dtype=np.uint32)
    found = actual_cumulative_transactions([2.5, 1.0, 7.0], [0.0, 2.5, 10.0], counts)
    assert found.dtype == np.int64
    assert found.tolist() == [0, 3, 4]
