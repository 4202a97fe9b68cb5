"""KPIs by segment: intervals equal statsmodels and scipy, windows counted by hand."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import proportion_confint, proportions_ztest

from segwise.measure.kpis import (
    BOOTSTRAP_MAX,
    CONCENTRATED,
    EVERYONE,
    SegmentKpis,
    against_prediction,
    customer_outcomes,
    holdout_lifts,
    prediction_note,
    ratio_interval,
    segment_kpis,
    t_interval,
    wilson,
)

AS_OF = date(2026, 3, 31)
START = datetime(2026, 4, 1)


@given(n=st.integers(1, 100_000), share=st.floats(0, 1))
def test_wilson_equals_statsmodels(n: int, share: float) -> None:
    successes = round(n * share)
    ours = wilson(successes, n)
    low, high = proportion_confint(successes, n, method="wilson")
    assert ours.ci_low == pytest.approx(low, rel=1e-9, abs=1e-12)
    assert ours.ci_high == pytest.approx(high, rel=1e-9, abs=1e-12)


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 500))
def test_t_interval_equals_scipy(seed: int, n: int) -> None:
    values = np.random.default_rng(seed).gamma(2, 30, n)
    ours = t_interval(values.mean(), values.var(ddof=1), n)
    low, high = stats.t.interval(0.95, n - 1, loc=values.mean(), scale=stats.sem(values))
    assert (ours.ci_low, ours.ci_high) == pytest.approx((low, high), rel=1e-9)


def test_aov_interval_is_the_delta_method_by_hand() -> None:
    rng = np.random.default_rng(4)
    orders = rng.poisson(1.2, 2_000).astype(float)
    revenue = orders * rng.gamma(3, 20, 2_000)
    cov = np.cov(revenue, orders, ddof=1)
    ours = ratio_interval(revenue.mean(), orders.mean(), cov[0, 0], cov[1, 1], cov[0, 1], 2_000)
    r = revenue.sum() / orders.sum()
    # Var(R) of the ratio of means, first-order: Var(y - R x) / (n mean(x)^2).
    se = math.sqrt(np.var(revenue - r * orders, ddof=1) / (2_000 * orders.mean() ** 2))
    assert ours.value == pytest.approx(r, rel=1e-12)
    assert ours.ci_high - ours.value == pytest.approx(stats.norm.ppf(0.975) * se, rel=1e-9)


def members() -> pl.LazyFrame:
    return pl.LazyFrame(
        {"customer_id": ["a", "b", "c", "d", "a"], "segment": ["X", "X", "Y", "Y", "Y"]}
    )


def orders() -> pl.LazyFrame:
    def at(days: float) -> datetime:
        return START + timedelta(days=days)

    return pl.LazyFrame(
        {
            "customer_id": ["a", "a", "a", "b", "b", "c", "z"],
            "timestamp": [at(-0.5), at(2), at(10), at(45), at(5), at(20), at(1)],
            "order_id": ["o0", "o1", "o2", "o3", "o4", "o4", "o5"],
            "amount": [99.0, 10.0, 30.0, 50.0, -5.0, 12.0, 7.0],
            "is_return": [False, False, False, False, True, False, False],
        }
    ).with_columns(pl.col("order_id") + pl.col("customer_id"))


def test_orders_in_the_window_start_after_the_as_of_day() -> None:
    found = (
        customer_outcomes(members(), orders(), AS_OF, timedelta(days=30))
        .collect()
        .unique("customer_id")
        .sort("customer_id")
    )
    # a: o0 is on the as-of day itself (counted in the run, not after); o1, o2 in the window.
    # b: a return in the window (revenue -5, no order), o3 after the window (day 45).
    assert found.select("customer_id", "orders", "revenue").rows() == [
        ("a", 2.0, 40.0),
        ("b", 0.0, -5.0),
        ("c", 1.0, 12.0),
        ("d", 0.0, 0.0),
    ]
    assert found["days_to_order"].to_list() == [2.0, 45.0, 20.0, None]


def test_segment_kpis_with_everyone_first_and_lifts() -> None:
    outcomes = customer_outcomes(members(), orders(), AS_OF, timedelta(days=30))
    rows = {r.segment: r for r in segment_kpis(outcomes, observed_days=60)}
    assert list(rows) == [EVERYONE, "X", "Y"]
    everyone = rows[EVERYONE]
    assert everyone.customers == 4  # a is in X and Y, counted once
    assert everyone.kpis["conversion"].value == pytest.approx(2 / 4)
    assert rows["Y"].kpis["conversion"].value == pytest.approx(2 / 3)
    assert rows["Y"].kpis["conversion"].lift == pytest.approx((2 / 3) / (2 / 4))
    assert rows["X"].kpis["repeat_rate"].value == 1.0  # a ordered twice; b not at all
    assert rows["X"].kpis["churn"].value == pytest.approx(0.5)
    # Retention only for the days observed (60): 30 and 60, not 90 or 180.
    assert sorted(everyone.retention) == [30, 60]
    assert everyone.retention[60].value == pytest.approx(3 / 4)


def test_a_window_with_no_day_observed_counts_members_and_measures_nothing() -> None:
    # It said 0% conversion and 100% churn, intervals as tight as the segment was large.
    outcomes = customer_outcomes(members(), orders(), AS_OF, timedelta(days=30))
    rows = segment_kpis(outcomes, observed_days=0)
    assert [(r.segment, r.customers) for r in rows] == [(EVERYONE, 4), ("X", 2), ("Y", 3)]
    assert all(r.kpis == {} and r.retention == {} for r in rows)
    payload = rows[1].to_dict()
    assert "conversion" not in payload and payload["customers"] == 2
    unmeasured = against_prediction(rows[1], 25.0, complete=False)
    assert unmeasured.predicted == {
        "revenue_per_customer": 25.0, "realised_to_predicted": None, "window_complete": False,
    }  # fmt: skip


def test_holdout_lifts_compare_targeted_with_held_out_per_segment() -> None:
    rng = np.random.default_rng(8)
    n = 6_000
    held = rng.random(n) < 0.1
    segment = rng.choice(["X", "Y"], n)
    # Targeting works in X only: 10 points more conversion there.
    bought = rng.random(n) < 0.2 + np.where((segment == "X") & ~held, 0.1, 0.0)
    outcomes = pl.LazyFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "segment": segment,
            "held_out": held,
            "orders": bought.astype(float),
            "revenue": bought * rng.gamma(2, 25, n),
        }
    )
    found = holdout_lifts(outcomes)
    x = found["X"]
    assert x["held_out"] == int((held & (segment == "X")).sum())
    in_x = segment == "X"
    _, p_value = proportions_ztest(
        [bought[in_x & ~held].sum(), bought[in_x & held].sum()],
        [(in_x & ~held).sum(), (in_x & held).sum()],
    )
    assert x["conversion"]["p_value"] == pytest.approx(p_value, rel=1e-9)
    assert x["conversion"]["ci_low"] > 0
    assert found["Y"]["conversion"]["ci_low"] < 0 < found["Y"]["conversion"]["ci_high"]
    assert found[EVERYONE]["held_out"] == int(held.sum())


def test_a_small_segment_with_one_big_buyer_gets_an_interval_it_can_have() -> None:
    # Online Retail II: 43 customers, 245.64 of revenue each "[-284.89, 776.18]" by the t
    # interval, a mean no segment of non-negative revenue can have.
    rng = np.random.default_rng(3)
    small = np.where(rng.random(43) < 0.4, rng.gamma(2, 40, 43), 0.0)
    small[0] = 9_000.0  # one customer makes most of the window's revenue
    large = rng.gamma(2, 40, BOOTSTRAP_MAX + 1)
    revenue = np.concatenate([small, large])
    outcomes = pl.LazyFrame(
        {
            "customer_id": [f"c{i}" for i in range(revenue.size)],
            "segment": ["Few"] * small.size + ["Many"] * large.size,
            "orders": (revenue > 0).astype(float),
            "revenue": revenue,
            "days_to_order": np.where(revenue > 0, 3.0, np.nan),
        }
    )
    rows = {r.segment: r.kpis for r in segment_kpis(outcomes, observed_days=30)}
    few = rows["Few"]["revenue_per_customer"]
    t_low = t_interval(small.mean(), small.var(ddof=1), small.size).ci_low
    assert t_low < 0 <= small.min() <= few.ci_low < few.value < few.ci_high <= small.max()
    assert few.ci_high - few.value > few.value - few.ci_low  # skewed: it leans right
    aov = rows["Few"]["aov"]
    assert aov.ci_low >= 0 and aov.ci_low < aov.value < aov.ci_high
    # One customer made most of its revenue: the segment says so.
    found = {r.segment: r for r in segment_kpis(outcomes, observed_days=30)}
    assert found["Few"].top_customer_share == pytest.approx(9_000 / small.sum())
    assert found["Few"].concentrated and not found["Many"].concentrated
    assert "the other 42" in found["Few"].to_dict()["revenue_note"]
    assert found["Many"].to_dict()["revenue_note"] is None
    assert found["Few"].top_return_share is None  # nobody's window nets below zero
    # The same members in another order: the same intervals (the report is reproducible).
    shuffled = outcomes.collect().sample(fraction=1.0, shuffle=True, seed=5).lazy()
    again = {r.segment: r.kpis for r in segment_kpis(shuffled, observed_days=30)}
    for name, first in (("revenue_per_customer", few), ("aov", aov)):
        found = again["Few"][name]
        assert (found.ci_low, found.ci_high) == pytest.approx((first.ci_low, first.ci_high))
    # A segment too large to resample cheaply keeps the t interval its size makes sound.
    many = rows["Many"]["revenue_per_customer"]
    expected = t_interval(large.mean(), large.var(ddof=1), large.size)
    assert (many.ci_low, many.ci_high) == pytest.approx((expected.ci_low, expected.ci_high))


@pytest.mark.parametrize(("low", "high", "noted"), [(1.26, 1.65, True), (0.5, 0.8, True),
                                                   (0.9, 1.3, False)])  # fmt: skip
def test_a_window_everyone_bought_more_in_than_predicted_is_said(
    low: float, high: float, *, noted: bool
) -> None:
    ratio = {"value": (low + high) / 2, "ci_low": low, "ci_high": high, "lift": None}
    everyone = SegmentKpis(EVERYONE, 100, {}, predicted={"realised_to_predicted": ratio})
    other = SegmentKpis("Stable", 60, {}, predicted={"realised_to_predicted": ratio})
    note = prediction_note([everyone, other], 60)
    assert (note is not None) == noted
    if note is not None:
        assert f"x{ratio['value']:.2f}" in note
        assert ("bought more" in note) == (low > 1)
    assert prediction_note([other], 60) is None  # nobody's whole base: nothing to say


def test_one_customers_returns_that_sink_a_segments_revenue_are_said() -> None:
    # Online Retail II, RFM as of 2010-09-30, Can't Lose Them over the next 30 days: 43
    # customers at 60.12 each, while the 14 who bought spent 296 per member; one
    # wholesaler's returns of 9,330 (of orders before the window) made the difference.
    # The note blamed "one customer made 30% of the revenue", which hid the cause.
    bought = [1_962.8, 3_761.64, 932.49, 887.13, 823.2, 383.48, 312.65, 180.08]
    revenue = [*bought, -9_330.1, -830.12, *([0.0] * 33)]
    outcomes = pl.LazyFrame(
        {
            "customer_id": [f"c{i}" for i in range(len(revenue))],
            "segment": "Can't Lose Them",
            "orders": [1.0 if r > 0 else 0.0 for r in revenue],
            "revenue": revenue,
            "days_to_order": [3.0 if r > 0 else None for r in revenue],
        }
    )
    [_, segment] = segment_kpis(outcomes, observed_days=30)
    assert segment.top_return_share == pytest.approx(9_330.1 / sum(bought))
    assert segment.top_return_share > segment.top_customer_share > CONCENTRATED
    assert segment.concentrated
    note = segment.to_dict()["revenue_note"]
    share = f"{9_330.1 / sum(bought):.0%}"
    assert note.startswith(f"one customer's returns in the window came to {share} of what ")
    assert note.endswith("say little about the other 42")
    # The same returns beside much larger purchases are a detail, not the story.
    small = pl.LazyFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "segment": "Loyal",
            "orders": [1.0, 1.0, 1.0, 0.0],
            "revenue": [9_000.0, 8_000.0, 7_000.0, -500.0],
            "days_to_order": [3.0, 3.0, 3.0, None],
        }
    )
    [_, loyal] = segment_kpis(small, observed_days=30)
    assert loyal.top_return_share == pytest.approx(500 / 24_000)
    assert loyal.to_dict()["revenue_note"].startswith("one customer made 38%")
