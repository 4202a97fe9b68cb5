"""BCa intervals: scipy's own BCa, what the data allow, and coverage where the t interval fails."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from segwise.measure import bootstrap
from segwise.measure.bootstrap import bca_mean_and_ratio


def heavy(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """A window's revenue and orders: most members buy nothing, a few buy a lot."""
    bought = rng.random(n) < 0.45
    orders = np.where(bought, rng.integers(1, 6, n), 0).astype(float)
    return np.where(bought, rng.lognormal(5, 1.6, n), 0.0), orders


def test_the_intervals_are_scipys_bca(monkeypatch: pytest.MonkeyPatch) -> None:
    revenue, orders = heavy(np.random.default_rng(1), 80)
    mean = stats.bootstrap((revenue,), np.mean, n_resamples=20_000, method="BCa", rng=0)

    def aov(y: np.ndarray, x: np.ndarray, axis: int = -1) -> np.ndarray:
        return y.sum(axis=axis) / x.sum(axis=axis)

    ratio = stats.bootstrap((revenue, orders), aov, paired=True, vectorized=True,
                            n_resamples=20_000, method="BCa", rng=0)  # fmt: skip
    default = bca_mean_and_ratio(revenue, orders)
    monkeypatch.setattr(bootstrap, "RESAMPLES", 40_000)  # Monte Carlo error out of the way
    ours = bca_mean_and_ratio(revenue, orders)
    assert ours[0] == pytest.approx(tuple(mean.confidence_interval), rel=0.03)
    assert ours[1] == pytest.approx(tuple(ratio.confidence_interval), rel=0.03)
    assert np.array(default) == pytest.approx(np.array(ours), rel=0.1)
    # Skewed data: the interval leans right of the mean, as the t interval never does.
    assert ours[0][1] - revenue.mean() > 1.3 * (revenue.mean() - ours[0][0])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 300))
def test_a_mean_interval_stays_within_the_values(seed: int, n: int) -> None:
    revenue, orders = heavy(np.random.default_rng(seed), n)
    (low, high), _ = bca_mean_and_ratio(revenue, orders, seed=seed)
    if np.ptp(revenue) == 0:
        assert np.isnan(low) and np.isnan(high)  # nothing varies: no interval
    else:
        assert revenue.min() <= low <= high <= revenue.max()


def test_it_covers_the_true_mean_where_the_t_interval_does_not() -> None:
    rng = np.random.default_rng(7)
    true_mean = 0.45 * np.exp(5 + 1.6**2 / 2)
    covered = {"bca": 0, "t": 0}
    trials = 200
    for trial in range(trials):
        revenue, orders = heavy(rng, 60)
        (low, high), _ = bca_mean_and_ratio(revenue, orders, seed=trial)
        covered["bca"] += low <= true_mean <= high
        t_low, t_high = stats.t.interval(0.95, 59, revenue.mean(), stats.sem(revenue))
        covered["t"] += t_low <= true_mean <= t_high
    assert covered["bca"] / trials >= 0.8
    assert covered["bca"] > covered["t"] + 0.03 * trials


def test_too_little_to_resample_has_no_interval() -> None:
    assert np.isnan(bca_mean_and_ratio(np.array([5.0]), np.array([1.0]))[0][0])
    (_, _), (aov_low, aov_high) = bca_mean_and_ratio(np.zeros(5), np.zeros(5))
    assert np.isnan(aov_low) and np.isnan(aov_high)  # nobody ordered: no AOV
