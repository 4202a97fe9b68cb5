"""Cards of few traits say where the segment is near the average."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given
from hypothesis import strategies as st

import segwise as sw
from segwise.profiling.typical import NEAR_EFFECT, NEAR_RATIO, near_average


def _shop(seed: int = 0) -> pl.DataFrame:
    """At Risk: lapsed, average otherwise; VIP and Light on either side of it on the rest."""
    rng = np.random.default_rng(seed)
    n = 600
    segment = np.repeat(["At Risk", "VIP", "Light"], n)
    recency = np.concatenate([rng.normal(150, 20, n), rng.normal(20, 5, n), rng.normal(60, 20, n)])
    orders = np.concatenate([rng.normal(4, 1, n), rng.normal(6, 1, n), rng.normal(2, 0.5, n)])
    basket = np.concatenate(
        [rng.normal(300, 40, n), rng.normal(400, 40, n), rng.normal(200, 40, n)]
    )
    orders = orders.clip(1).round()
    return pl.DataFrame(
        {
            "segment": segment,
            "recency_days": recency.clip(0),
            "orders": orders,
            "net_revenue": orders * basket,
            "avg_order_value": basket,
        }
    )


def test_a_segment_set_apart_on_recency_alone_says_it_is_typical_on_the_rest() -> None:
    # Online Retail II, RFM as of 2010-06-30: At Risk's card read one line, "last bought 3
    # months ago", as if nothing else were known of them.
    profiles = {p.segment: p for p in sw.profile_segments(_shop(), "segment").segments}
    at_risk = profiles["At Risk"].traits
    assert at_risk[0].startswith("last bought")
    assert at_risk[-1].startswith("otherwise near the average: ")
    named = at_risk[-1].removeprefix("otherwise near the average: ")
    assert "basket size" in named
    assert "time since last order" not in named  # its one trait says that
    # A segment of three or more traits is described by them alone.
    assert not any("near the average" in t for t in profiles["VIP"].traits)
    assert len(profiles["VIP"].traits) >= 3


def test_only_features_truly_near_the_average_are_named() -> None:
    table = _shop()
    # At Risk orders 0.4 standard deviations more than everyone: not a trait
    # (too small a difference to act on) and not near the average either.
    spread = float(table["orders"].std())
    middle = pl.col("segment") == "At Risk"
    table = table.with_columns(
        pl.when(middle).then(pl.col("orders") + 0.4 * spread).otherwise(pl.col("orders"))
    )
    profiles = {p.segment: p for p in sw.profile_segments(table, "segment").segments}
    said = " ".join(profiles["At Risk"].traits)
    assert "order count" not in said


@given(
    st.floats(-5, 5),
    st.floats(-5, 5),
    st.floats(0.1, 10),
    st.floats(0.1, 10),
)
def test_near_average_is_both_mean_and_median_within_the_band(
    mean_shift: float, median_shift: float, std: float, iqr: float
) -> None:
    mean = 10 + mean_shift * std
    near = near_average(mean, 10, std, 5 + median_shift * iqr, 5, iqr)
    # What the report's profile shows, mean ÷ average, reads about 1× too.
    ratio = abs(mean / 10 - 1)
    within = (
        abs(mean_shift) < NEAR_EFFECT * 0.999
        and abs(median_shift) < NEAR_EFFECT * 0.999
        and ratio < NEAR_RATIO * 0.999
    )
    beyond = (
        abs(mean_shift) > NEAR_EFFECT * 1.001
        or abs(median_shift) > NEAR_EFFECT * 1.001
        or ratio > NEAR_RATIO * 1.001
    )
    if within:
        assert near
    if beyond:
        assert not near
    # The same distance below as above: the band is symmetric.
    mirrored = near_average(10 - mean_shift * std, 10, std, 5 - median_shift * iqr, 5, iqr)
    if within or beyond:
        assert mirrored == near


def test_half_the_average_is_not_near_it_however_wide_the_spread() -> None:
    """Online Retail II's return-prone cluster spent 922 against everyone's 1,951, within a
    quarter of spend's standard deviation, and read "near the average: value" above a
    profile that showed 0.5×."""
    table = _shop()
    whales = pl.DataFrame(
        {
            "segment": ["VIP"] * 6,
            "recency_days": [20.0] * 6,
            "orders": [6.0] * 6,
            "net_revenue": [2_000_000.0] * 6,  # spend's spread now dwarfs any segment's gap
            "avg_order_value": [400.0] * 6,
        }
    )
    halved = pl.concat([table, whales]).with_columns(
        pl.when(pl.col("segment") == "At Risk")
        .then(pl.col("net_revenue") * 0.5)
        .otherwise(pl.col("net_revenue"))
    )
    at_risk = {p.segment: p for p in sw.profile_segments(halved, "segment").segments}["At Risk"]
    lift = at_risk.numeric.filter(pl.col("feature") == "net_revenue")["lift"].item()
    assert lift < 0.85
    assert not any("value" in line and "near the average" in line for line in at_risk.traits)


def test_a_feature_without_a_value_is_not_near_anything() -> None:
    nan = float("nan")
    assert not near_average(nan, 10, 2, nan, 5, 0)
    assert not near_average(10, 10, 2, nan, 5, 0)
