"""The Bayesian readout against seeded Monte Carlo draws of the same posteriors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from segwise.measure import Arm, compare
from segwise.measure.bayes import beta_binomial, normal, readout_of

DRAWS = 2_000_000


@pytest.mark.parametrize(
    ("control", "treatment"),
    [((100, 1_000), (130, 1_000)), ((5, 40), (9, 45)), ((50_000, 10**6), (50_600, 10**6))],
    ids=["typical", "small", "a million each"],
)
def test_beta_binomial_equals_monte_carlo(
    control: tuple[int, int], treatment: tuple[int, int]
) -> None:
    rng = np.random.default_rng(2026)
    (x_a, n_a), (x_b, n_b) = control, treatment
    a = rng.beta(1 + x_a, 1 + n_a - x_a, DRAWS)
    b = rng.beta(1 + x_b, 1 + n_b - x_b, DRAWS)
    found = beta_binomial(x_a, n_a, x_b, n_b)
    # Monte Carlo's own error is about sqrt(p(1-p)/draws) < 4e-4.
    assert found.prob_beat_control == pytest.approx((b > a).mean(), abs=2e-3)
    assert found.expected_loss == pytest.approx(np.maximum(a - b, 0).mean(), rel=0.02, abs=1e-7)


def test_normal_readout_equals_monte_carlo_and_needs_a_spread() -> None:
    rng = np.random.default_rng(7)
    draws = rng.normal(0.8, 0.5, DRAWS)
    found = normal(0.8, 0.5)
    assert found.prob_beat_control == pytest.approx(stats.norm.cdf(0.8 / 0.5), rel=1e-12)
    assert found.expected_loss == pytest.approx(np.maximum(-draws, 0).mean(), rel=0.01)
    assert np.isnan(normal(1.0, 0.0).prob_beat_control)


def test_each_comparison_gets_the_readout_of_its_kind() -> None:
    shares = compare("binary", Arm.of_proportion(100, 1_000), Arm.of_proportion(130, 1_000))
    assert readout_of(shares) == beta_binomial(100, 1_000, 130, 1_000)
    means = compare("continuous", Arm(500, 10.0, 25.0), Arm(500, 11.0, 25.0))
    assert readout_of(means) == normal(means.lift, means.standard_error)
