"""The count distribution: sums to one, its mean is the expectation, new and given a history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.exceptions import DataError
from segwise.models.purchase_counts import dropout_count_pmf

if TYPE_CHECKING:
    import polars as pl

HISTORY = {"frequency": [0.0, 2.0, 12.0], "recency": [0.0, 30.43, 37.0], "T": [38.86] * 3}


@pytest.mark.realdata
@pytest.mark.parametrize("model", [sw.BetaGeoModel, sw.ModifiedBetaGeoModel])
def test_the_conditional_counts_average_to_the_expected_purchases(
    cdnow: pl.DataFrame, model: type
) -> None:
    fitted = model().fit(cdnow)
    counts = np.array([fitted.probability_of_purchases_given(HISTORY, 39, n) for n in range(400)])
    assert counts.sum(axis=0) == pytest.approx(1, abs=1e-9)
    mean = (np.arange(400)[:, None] * counts).sum(axis=0)
    assert mean == pytest.approx(fitted.expected_purchases(HISTORY, 39), rel=1e-7)
    # The dead buy nothing: P(0 | history) is at least 1 - P(alive).
    assert (counts[0] >= 1 - fitted.p_alive(HISTORY) - 1e-12).all()
    new = np.array([fitted.new_customer_pmf(52.0, n) for n in range(400)])
    assert (np.arange(400) * new).sum() == pytest.approx(
        fitted.expected_purchases_new_customer(52.0), rel=1e-7
    )


@pytest.mark.realdata
def test_the_elementwise_form_equals_the_published_new_customer_formula(
    cdnow: pl.DataFrame,
) -> None:
    model = sw.BetaGeoModel().fit(cdnow)
    r, alpha, a, b = (model.params_[k] for k in ("r", "alpha", "a", "b"))
    vector = model.probability_of_purchases(52, np.arange(30))
    each = [float(dropout_count_pmf(r, alpha, a, b, 52.0, n)) for n in range(30)]
    assert each == pytest.approx(vector.tolist(), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    r=st.floats(0.05, 3),
    alpha=st.floats(1.0, 50),
    a=st.floats(0.05, 5),
    b=st.floats(0.05, 20),
    t=st.floats(0.0, 52),
)
def test_the_distribution_sums_to_one(r: float, alpha: float, a: float, b: float, t: float) -> None:
    counts = [float(dropout_count_pmf(r, alpha, a, b, t, n)) for n in range(1000)]
    assert sum(counts) == pytest.approx(1, abs=1e-6)
    assert min(counts) >= 0


def test_a_count_must_be_whole() -> None:
    with pytest.raises(DataError, match="n must be a whole number"):
        dropout_count_pmf(1, 1, 1, 1, 1.0, -1)
