"""Comparisons against scipy and statsmodels on the same data (1e-9 relative)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from segwise.measure import Arm, compare

CLOSE = {"rel": 1e-9, "abs": 1e-12}


def arm_of(values: np.ndarray) -> Arm:
    return Arm(len(values), float(values.mean()), float(values.var(ddof=1)))


@given(
    seed=st.integers(0, 2**32 - 1),
    n_control=st.integers(2, 400),
    n_treatment=st.integers(2, 400),
    shift=st.floats(-3, 3),
    spread=st.floats(0.1, 50),
)
def test_welch_equals_scipy(
    seed: int, n_control: int, n_treatment: int, shift: float, spread: float
) -> None:
    rng = np.random.default_rng(seed)
    control = rng.gamma(2.0, spread, n_control)
    treatment = rng.gamma(2.0, spread, n_treatment) + shift
    ours = compare("continuous", arm_of(control), arm_of(treatment))
    reference = stats.ttest_ind(treatment, control, equal_var=False)
    interval = reference.confidence_interval(0.95)
    assert ours.statistic == pytest.approx(reference.statistic, **CLOSE)
    assert ours.p_value == pytest.approx(reference.pvalue, **CLOSE)
    assert ours.ci_low == pytest.approx(interval.low, **CLOSE)
    assert ours.ci_high == pytest.approx(interval.high, **CLOSE)
    assert ours.lift == pytest.approx(treatment.mean() - control.mean(), **CLOSE)


@given(
    n_control=st.integers(20, 50_000),
    n_treatment=st.integers(20, 50_000),
    rate_control=st.floats(0.01, 0.99),
    rate_treatment=st.floats(0.01, 0.99),
)
def test_two_proportions_equal_statsmodels(
    n_control: int, n_treatment: int, rate_control: float, rate_treatment: float
) -> None:
    x_c, x_t = max(1, round(n_control * rate_control)), max(1, round(n_treatment * rate_treatment))
    x_c, x_t = min(x_c, n_control - 1), min(x_t, n_treatment - 1)
    ours = compare("binary", Arm.of_proportion(x_c, n_control), Arm.of_proportion(x_t, n_treatment))
    statistic, p_value = proportions_ztest([x_t, x_c], [n_treatment, n_control])
    low, high = confint_proportions_2indep(x_t, n_treatment, x_c, n_control, method="wald")
    assert ours.statistic == pytest.approx(statistic, **CLOSE)
    assert ours.p_value == pytest.approx(p_value, **CLOSE)
    assert ours.ci_low == pytest.approx(low, **CLOSE)
    assert ours.ci_high == pytest.approx(high, **CLOSE)


def test_relative_lift_is_the_delta_method_by_hand() -> None:
    rng = np.random.default_rng(7)
    control, treatment = rng.normal(10, 3, 5_000), rng.normal(10.5, 3, 4_000)
    ours = compare("continuous", arm_of(control), arm_of(treatment))
    m_c, m_t = control.mean(), treatment.mean()
    v_c, v_t = control.var(ddof=1) / len(control), treatment.var(ddof=1) / len(treatment)
    # Var(m_t / m_c) by the first-order Taylor expansion around the means.
    se = math.sqrt(v_t / m_c**2 + m_t**2 * v_c / m_c**4)
    z = stats.norm.ppf(0.975)
    assert ours.relative_lift == pytest.approx(m_t / m_c - 1, **CLOSE)
    assert ours.relative_ci_low == pytest.approx(m_t / m_c - 1 - z * se, **CLOSE)
    assert ours.relative_ci_high == pytest.approx(m_t / m_c - 1 + z * se, **CLOSE)


def test_a_planted_effect_is_found_and_none_is_not() -> None:
    planted = compare("binary", Arm.of_proportion(500, 10_000), Arm.of_proportion(650, 10_000))
    assert planted.p_value < 1e-4
    assert planted.ci_low > 0
    nothing = compare("binary", Arm.of_proportion(500, 10_000), Arm.of_proportion(505, 10_000))
    assert nothing.p_value > 0.5
    assert nothing.ci_low < 0 < nothing.ci_high


def test_no_variation_gives_no_test_rather_than_a_verdict() -> None:
    none_convert = compare("binary", Arm.of_proportion(0, 100), Arm.of_proportion(0, 120))
    assert math.isnan(none_convert.p_value)
    assert math.isnan(none_convert.relative_lift)  # control's mean is 0
    flat = compare("continuous", Arm(50, 3.0, 0.0), Arm(60, 3.0, 0.0))
    assert math.isnan(flat.p_value)


def test_ratio_metrics_use_the_delta_method_on_the_linearised_values() -> None:
    from segwise.measure import RatioArm, compare_ratios

    rng = np.random.default_rng(9)

    def arm(basket: float) -> tuple[RatioArm, np.ndarray, np.ndarray]:
        orders = rng.poisson(0.8, 3_000).astype(float)
        revenue = orders * rng.gamma(2, basket / 2, 3_000)
        cov = np.cov(revenue, orders, ddof=1)
        found = RatioArm(3_000, revenue.mean(), orders.mean(), cov[0, 0], cov[1, 1], cov[0, 1])
        return found, revenue, orders

    (control, y_c, x_c), (treatment, y_t, x_t) = arm(50.0), arm(56.0)
    ours = compare_ratios(control, treatment)
    r_c, r_t = y_c.sum() / x_c.sum(), y_t.sum() / x_t.sum()

    def variance(y: np.ndarray, x: np.ndarray, r: float) -> float:
        # Var(R) from the linearised values y - R x (Kohavi et al., ch. 18).
        return float(np.var(y - r * x, ddof=1) / (len(y) * x.mean() ** 2))

    se = math.sqrt(variance(y_c, x_c, r_c) + variance(y_t, x_t, r_t))
    assert ours.lift == pytest.approx(r_t - r_c, rel=1e-12)
    assert ours.standard_error == pytest.approx(se, rel=1e-9)
    assert ours.p_value == pytest.approx(2 * stats.norm.sf(abs(r_t - r_c) / se), rel=1e-9)
    assert ours.kind == "ratio"
