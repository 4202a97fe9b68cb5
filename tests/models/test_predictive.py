"""Predictive segments: Rising is newer customers with a strong outlook, not slow buyers."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.models.predictions import predict_customers
from segwise.models.predictive import RISING_RATIO, rising

histories = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=30),
        st.floats(min_value=1.0, max_value=100.0),
        st.floats(min_value=0.0, max_value=20.0),
        st.integers(min_value=1, max_value=5),
    ),
    min_size=1,
    max_size=60,
)


@given(histories)
@settings(max_examples=200, deadline=None)
def test_rising_customers_are_newer_repeat_buyers_well_above_the_median(
    rows: list[tuple[int, float, float, int]],
) -> None:
    frequency, T, expected, weights = (np.array(c) for c in zip(*rows, strict=True))  # noqa: N806
    frequency = frequency.astype(float)
    found = rising(frequency, T, expected, weights=weights)
    # The same as repeating each row `weight` times.
    repeated = rising(*(np.repeat(c, weights) for c in (frequency, T, expected)))
    assert (np.repeat(found, weights) == repeated).all()
    spread = np.repeat(T, weights), np.repeat(expected, weights)
    for i in np.flatnonzero(found):
        assert frequency[i] > 0
        assert T[i] <= np.median(spread[0])
        assert expected[i] > 0 and expected[i] >= RISING_RATIO * np.median(spread[1])


def test_on_cdnow_rising_customers_buy_faster_than_average(cdnow: pl.DataFrame) -> None:
    # Before: "expected purchases above 1.5x one's own past rate", which BG/NBD's shrinkage
    # toward the population's rate grants to the slowest repeat buyers.
    table = predict_customers(cdnow, horizon=52.0).table
    rate = pl.col("frequency") / pl.col("T")
    everyone = table.select(rate.median().alias("rate"), pl.col("T").median()).row(0)
    up = table.filter(pl.col("segment") == "Rising")
    assert up.height >= 0.02 * table.height  # a segment worth a campaign
    assert up.select((rate > everyone[0]).mean()).item() > 0.9
    assert up.select(pl.col("T").max()).item() <= everyone[1]
    assert (
        up.select(pl.col("expected_purchases").min()).item()
        > table.select(pl.col("expected_purchases").median()).item()
    )
