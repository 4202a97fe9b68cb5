"""Pareto/NBD counts: a distribution, its mean the closed-form expectation, its shape the
simulated process's, safe at extreme histories."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.exceptions import DataError
from segwise.models.pareto_counts import pareto_count_pmf

if TYPE_CHECKING:
    import polars as pl

#: Schmittlein et al.'s CDNOW-like parameters (weeks), for the tests without the data.
PARAMS = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def fitted(params: dict[str, float]) -> sw.ParetoNBDModel:
    model = sw.ParetoNBDModel()
    model.params_ = dict(params)
    return model


@pytest.mark.realdata
def test_the_conditional_counts_average_to_the_expected_purchases(cdnow: pl.DataFrame) -> None:
    model = sw.ParetoNBDModel().fit(cdnow)
    distinct = cdnow.select("frequency", "recency", "T").unique()
    counts = np.array([model.probability_of_purchases_given(distinct, 39, n) for n in range(300)])
    assert counts.sum(axis=0) == pytest.approx(1, abs=1e-9)
    mean = (np.arange(300)[:, None] * counts).sum(axis=0)
    assert mean == pytest.approx(model.expected_purchases(distinct, 39), rel=1e-8)
    # The dead buy nothing: P(0 | history) is at least 1 - P(alive), and it is the named one.
    assert (counts[0] >= 1 - model.p_alive(distinct) - 1e-12).all()
    assert model.probability_no_purchase(distinct, 39) == pytest.approx(counts[0], rel=1e-12)
    new = np.array([model.new_customer_pmf(52.0, n) for n in range(300)])
    assert (np.arange(300) * new).sum() == pytest.approx(
        model.expected_purchases_new_customer(52.0), rel=1e-8
    )


def test_a_new_customer_counts_like_the_simulated_process() -> None:
    """200,000 customers drawn from the model's own story, counted over 39 weeks."""
    rng = np.random.default_rng(7)
    size, horizon = 200_000, 39.0
    rate = rng.gamma(PARAMS["r"], 1 / PARAMS["alpha"], size)
    dropout = rng.gamma(PARAMS["s"], 1 / PARAMS["beta"], size)
    lifetime = rng.exponential(1 / dropout)
    counts = rng.poisson(rate * np.minimum(lifetime, horizon))
    model = fitted(PARAMS)
    for n in range(6):
        expected = float(model.new_customer_pmf(horizon, n))
        share = float((counts == n).mean())
        assert abs(share - expected) < 4 * np.sqrt(expected * (1 - expected) / size)


def test_no_history_is_a_new_customer() -> None:
    model = fitted(PARAMS)
    start = {"frequency": [0.0], "recency": [0.0], "T": [0.0]}
    for n in range(5):
        assert model.probability_of_purchases_given(start, 26, n)[0] == pytest.approx(
            float(model.new_customer_pmf(26.0, n)), rel=1e-12
        )


def test_extreme_histories_are_safe() -> None:
    model = fitted(PARAMS)
    summary = {"frequency": [5000.0, 0.0, 3.0], "recency": [4999.0, 0.0, 2.0],
               "T": [5000.0, 20_000.0, 20_000.0]}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = model.probability_no_purchase(summary, 52)
        busy = model.probability_of_purchases_given(summary, 52, 52)
    assert np.isfinite(quiet).all() and np.isfinite(busy).all()
    assert ((quiet >= 0) & (quiet <= 1)).all()
    # A customer who bought every week for 5,000 weeks almost surely buys again;
    # one silent for 20,000 weeks almost surely does not.
    assert quiet[0] < 1e-3 and quiet[2] > 0.99


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(0.05, 3),
    alpha=st.floats(1.0, 50),
    s=st.floats(0.05, 3),
    beta=st.floats(1.0, 50),
    t=st.floats(0.0, 52),
)
def test_the_distribution_sums_to_one(
    r: float, alpha: float, s: float, beta: float, t: float
) -> None:
    counts = [float(pareto_count_pmf(r, alpha, s, beta, t, n)) for n in range(1000)]
    assert sum(counts) == pytest.approx(1, abs=1e-6)
    assert min(counts) >= 0


def test_a_count_must_be_whole() -> None:
    with pytest.raises(DataError, match="n must be a whole number"):
        pareto_count_pmf(1, 1, 1, 1, 1.0, 2.5)
