"""Sample sizes equal statsmodels' NormalIndPower, rounded up."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from segwise.measure import power_of, proportion_effect, sample_size


@given(
    baseline=st.floats(0.005, 0.6),
    mde=st.floats(0.002, 0.2),
    alpha=st.sampled_from([0.01, 0.05, 0.1]),
    power=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_proportions_equal_statsmodels(
    baseline: float, mde: float, alpha: float, power: float
) -> None:
    effect = proportion_effectsize(baseline + mde, baseline)
    assert proportion_effect(baseline + mde, baseline) == pytest.approx(effect, rel=1e-12)
    expected = NormalIndPower().solve_power(effect, alpha=alpha, power=power, ratio=1)
    assert sample_size(effect, alpha=alpha, power=power) == math.ceil(expected)


@given(d=st.floats(0.01, 2.0), ratio=st.sampled_from([0.5, 1.0, 3.0]))
def test_means_by_cohens_d_equal_statsmodels(d: float, ratio: float) -> None:
    expected = NormalIndPower().solve_power(d, alpha=0.05, power=0.8, ratio=ratio)
    assert sample_size(d, ratio=ratio) == math.ceil(expected)
    assert power_of(d, sample_size(d, ratio=ratio), ratio=ratio) >= 0.8


def test_the_issue_example_and_bad_designs() -> None:
    assert sample_size(proportion_effect(0.06, 0.05)) == 8143
    with pytest.raises(ValueError, match="non-zero"):
        sample_size(0.0)
    with pytest.raises(ValueError, match="between 0 and 1"):
        sample_size(0.1, power=1.0)
