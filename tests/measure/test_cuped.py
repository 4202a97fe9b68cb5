"""CUPED from sufficient statistics equals the regression adjustment done by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from segwise.measure import Arm, PairedArm, compare, cuped, variance_reduction


def paired(y: np.ndarray, x: np.ndarray) -> PairedArm:
    return PairedArm(
        len(y), y.mean(), x.mean(), y.var(ddof=1), x.var(ddof=1), np.cov(y, x, ddof=1)[0, 1]
    )


def arms(seed: int, effect: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    pre_c, pre_t = rng.gamma(2, 20, 3_000), rng.gamma(2, 20, 3_200)
    y_c = 0.8 * pre_c + rng.normal(0, 10, len(pre_c))
    y_t = 0.8 * pre_t + rng.normal(0, 10, len(pre_t)) + effect
    return y_c, pre_c, y_t, pre_t


@given(seed=st.integers(0, 2**32 - 1), effect=st.floats(-5, 5))
def test_adjusted_arms_equal_the_hand_computed_regression_adjustment(
    seed: int, effect: float
) -> None:
    y_c, x_c, y_t, x_t = arms(seed, effect)
    result = cuped([paired(y_c, x_c), paired(y_t, x_t)])
    y, x = np.concatenate([y_c, y_t]), np.concatenate([x_c, x_t])
    theta = np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1)
    adjusted_c, adjusted_t = y_c - theta * (x_c - x.mean()), y_t - theta * (x_t - x.mean())
    assert result.theta == pytest.approx(theta, rel=1e-9)
    for ours, by_hand in zip(result.arms, (adjusted_c, adjusted_t), strict=True):
        assert ours.mean == pytest.approx(by_hand.mean(), rel=1e-9)
        assert ours.variance == pytest.approx(by_hand.var(ddof=1), rel=1e-9)
    test = compare("continuous", *result.arms)
    reference = stats.ttest_ind(adjusted_t, adjusted_c, equal_var=False)
    assert test.p_value == pytest.approx(reference.pvalue, rel=1e-9, abs=1e-300)


def test_the_variance_falls_by_about_the_squared_correlation() -> None:
    y_c, x_c, y_t, x_t = arms(11, 2.0)
    raw = [Arm(len(y), y.mean(), y.var(ddof=1)) for y in (y_c, y_t)]
    result = cuped([paired(y_c, x_c), paired(y_t, x_t)])
    reduction = variance_reduction(raw, result.arms)
    rho = np.corrcoef(np.concatenate([y_c, y_t]), np.concatenate([x_c, x_t]))[0, 1]
    assert reduction == pytest.approx(rho**2, abs=0.01)
    # The planted +2 is seen far more clearly once the pre-period noise is gone.
    assert compare("continuous", *result.arms).p_value < compare("continuous", *raw).p_value


def test_a_constant_pre_period_changes_nothing() -> None:
    rng = np.random.default_rng(5)
    y_c, y_t = rng.normal(5, 1, 100), rng.normal(5, 1, 100)
    flat = np.zeros(100)
    result = cuped([paired(y_c, flat), paired(y_t, flat)])
    assert result.theta == 0.0
    assert [a.mean for a in result.arms] == pytest.approx([y_c.mean(), y_t.mean()])
