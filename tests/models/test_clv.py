"""CLV: lifetimes' discounting convention, reproduced."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

from segwise.models import BetaGeoModel, GammaGammaModel, customer_lifetime_value

if TYPE_CHECKING:
    from pathlib import Path


# The parameters handed to lifetimes (segwise's CDNOW fit, to full precision).
BG_PARAMS = {
    "r": 0.24259290336468572,
    "alpha": 4.413531415592418,
    "a": 0.7928861741464411,
    "b": 2.425753435903895,
}
GG_PARAMS = {"p": 6.248802603263795, "q": 3.7445883479348825, "v": 15.447747398137475}


@pytest.mark.realdata
def test_clv_equals_lifetimes_on_cdnow(shared_data: Path) -> None:
    """Expected values printed by benchmarks/make_lifetimes_clv_expected.py (lifetimes 0.11.3)
    with these parameters: 12 months of 4.345 weeks, 1% a month."""
    summary = pl.read_csv(shared_data / "cdnow_sample_calibration_summary_lifetimes.csv").rename(
        {"x": "frequency", "t_x": "recency", "zbar": "monetary_value"}
    )
    purchases, spend = BetaGeoModel(), GammaGammaModel()
    purchases.params_ = BG_PARAMS
    spend.params_ = GG_PARAMS
    value = customer_lifetime_value(
        purchases,
        spend,
        summary,
        periods=12,
        period_length=4.345,
        discount_rate=0.01,
    )
    lifetimes_first = [36.27849598, 4.63746656, 8.34409267, 8.34409267, 8.34409267]
    assert value[:5] == pytest.approx(lifetimes_first, rel=1e-6)
    assert value.sum() == pytest.approx(71_509.897042, rel=1e-6)


def test_without_discounting_clv_is_value_times_expected_purchases() -> None:
    summary = {
        "frequency": [0.0, 1, 3, 0, 2, 5, 1, 2],
        "recency": [0.0, 5, 20, 0, 9, 30, 2, 25],
        "T": [30.0, 30, 35, 12, 40, 36, 10, 28],
        "monetary_value": [0.0, 20, 35, 0, 15, 50, 12, 30],
    }
    purchases, spend = BetaGeoModel().fit(summary), GammaGammaModel().fit(summary)
    value = customer_lifetime_value(
        purchases, spend, summary, periods=6, period_length=4.0, discount_rate=0.0
    )
    expected = spend.expected_average_value(summary) * purchases.expected_purchases(summary, 24.0)
    assert np.allclose(value, expected)
    discounted = customer_lifetime_value(
        purchases, spend, summary, periods=6, period_length=4.0, discount_rate=0.05
    )
    assert np.all(discounted < value)
