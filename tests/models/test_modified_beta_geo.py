"""MBG/NBD on CDNOW against its peer-documented fit, and its identities."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw

if TYPE_CHECKING:
    import polars as pl


@pytest.mark.realdata
def test_the_cdnow_fit_matches_btydplus(cdnow: pl.DataFrame) -> None:
    """r = 0.525, α = 6.183, a = 0.891, b = 1.614: BTYDplus's MBG/NBD fit of the CDNOW
    sample (github.com/mplatzer/BTYDplus), which lifetimes' test suite checks against too."""
    model = sw.ModifiedBetaGeoModel().fit(cdnow)
    expected = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
    for name, value in expected.items():
        assert model.params_[name] == pytest.approx(value, rel=0.005), name
    # One more parameter's worth of freedom than BG/NBD (-9582.43): no worse a fit.
    assert model.log_likelihood_ >= -9582.43
    alive = model.p_alive(cdnow)
    once = cdnow["frequency"].to_numpy() == 0
    assert np.all(alive[once] < 1) and np.all((alive > 0) & (alive < 1))


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 5), st.floats(0.5, 20), st.floats(1.05, 10), st.floats(0.1, 10),
       st.floats(0.5, 100))  # fmt: skip
def test_a_customer_just_acquired_is_a_new_customer(
    r: float, alpha: float, a: float, b: float, t: float
) -> None:
    model = sw.ModifiedBetaGeoModel()
    model.params_ = {"r": r, "alpha": alpha, "a": a, "b": b}
    just = {"frequency": [0], "recency": [0], "T": [0]}
    # Right after the first purchase the customer may already have left: with probability a/(a+b).
    assert model.p_alive(just)[0] == pytest.approx(b / (a + b), rel=1e-9)
    assert model.expected_purchases(just, t)[0] == pytest.approx(
        float(model.expected_purchases_new_customer(t)), rel=1e-7
    )
    later = {"frequency": [2], "recency": [5], "T": [10]}
    sooner = {"frequency": [2], "recency": [9], "T": [10]}
    assert model.p_alive(later)[0] < model.p_alive(sooner)[0]  # a longer silence
