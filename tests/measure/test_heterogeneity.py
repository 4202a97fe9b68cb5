"""Cochran's Q and I² equal statsmodels' meta-analysis on the same lifts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.meta_analysis import combine_effects

from segwise.measure import heterogeneity


@given(
    lifts=st.lists(st.floats(-1, 1), min_size=2, max_size=8, unique=True).filter(
        lambda values: max(values) - min(values) > 1e-6
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_q_and_i_squared_equal_statsmodels(lifts: list[float], seed: int) -> None:
    errors = np.random.default_rng(seed).uniform(0.01, 0.5, len(lifts))
    ours = heterogeneity(lifts, errors.tolist())
    reference = combine_effects(np.array(lifts), errors**2)
    assert ours.q == pytest.approx(reference.q, rel=1e-9, abs=1e-12)
    assert ours.df == len(lifts) - 1
    assert ours.p_value == pytest.approx(stats.chi2.sf(reference.q, len(lifts) - 1), rel=1e-9)
    # statsmodels leaves I² negative when Q < df; Higgins & Thompson floor it at 0.
    assert ours.i_squared == pytest.approx(max(0.0, reference.i2), rel=1e-9, abs=1e-12)


def test_segments_without_a_lift_are_left_out() -> None:
    found = heterogeneity([0.1, math.nan, 0.1], [0.01, 0.02, 0.0])
    assert math.isnan(found.p_value)  # one usable segment: nothing to compare
