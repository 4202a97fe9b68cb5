"""sBG against the paper's example, a peer's documented figures, and its own identities.

Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention. Journal of
Interactive Marketing, 21(1), 76-90: two cohorts of 1,000 customers observed for seven
years (Table 1), with their maximum-likelihood estimates (regular: α = 0.704, β = 1.182;
high end: α = 0.668, β = 3.806).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.exceptions import DataError

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


@pytest.mark.parametrize(
    ("alive", "alpha", "beta"), [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)]
)
def test_the_papers_estimates_are_reproduced(alive: list[int], alpha: float, beta: float) -> None:
    model = sw.ShiftedBetaGeoModel().fit(alive)
    assert model.params_["alpha"] == pytest.approx(alpha, abs=0.0005)
    assert model.params_["beta"] == pytest.approx(beta, abs=0.0005)
    assert model.n_customers_ == 1000
    assert all(np.isfinite(v) and v > 0 for v in model.standard_errors_.values())


def test_a_peers_documented_projection_and_residual_lifetime() -> None:
    """jdmaturen/shifted_beta_geometric_py (README), fitted on the high-end cohort's shares.

    Projected survival for years 8-12: 0.460, 0.436, 0.414, 0.395, 0.378; discounted
    expected residual lifetime of a survivor after 7 years at 10%: 7.530.
    """
    model = sw.ShiftedBetaGeoModel().fit(HIGH_END)
    projected = model.survival(np.arange(8, 13))
    assert projected == pytest.approx([0.460, 0.436, 0.414, 0.395, 0.378], abs=0.0005)
    assert model.discounted_residual_lifetime(7, 0.10) == pytest.approx(7.530, abs=0.0005)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(0.05, 20), st.floats(0.05, 20), st.integers(0, 30), st.floats(0.01, 0.5)
)  # fmt: skip
def test_the_closed_forms_agree_with_the_definitions(
    alpha: float, beta: float, renewals: int, discount: float
) -> None:
    model = sw.ShiftedBetaGeoModel()
    model.params_ = {"alpha": alpha, "beta": beta}
    t = np.arange(1, 40)
    survival = model.survival(np.arange(0, 40))
    assert survival[0] == pytest.approx(1.0)
    # Those who leave in period t are those there at t - 1 and gone at t.
    assert model.churn_probability(t) == pytest.approx(survival[:-1] - survival[1:], rel=1e-9)
    assert model.retention_rate(t) == pytest.approx(survival[1:] / survival[:-1], rel=1e-9)
    # DERL is the discounted sum of the chances to still be there, period after period.
    later = model.survival(np.arange(renewals + 1, renewals + 4001)) / model.survival(renewals)
    series = float(np.sum(later * np.exp(-np.arange(later.size) * np.log1p(discount))))
    assert model.discounted_residual_lifetime(renewals, discount) == pytest.approx(series, rel=1e-6)


@pytest.mark.parametrize(
    ("alive", "message"),
    [
        ([1000], "survivors after at least one period"),
        ([0, 0], "period 0: the cohort is empty"),
        ([1000, 900, 950], "period 2: 950 alive after 900"),
        ([1000, 900.5], "period 1: 900.5 is not a whole number"),
        ([1000, -1], "period 1: -1 is not a count"),
        ([1000, 1000, 1000], "nobody in the cohort cancelled"),
    ],
)
def test_bad_cohorts_get_one_clear_error(alive: list[float], message: str) -> None:
    with pytest.raises(DataError, match=message):
        sw.ShiftedBetaGeoModel().fit(alive)


def test_projection_before_fit_says_so() -> None:
    with pytest.raises(DataError, match="not fitted yet"):
        sw.ShiftedBetaGeoModel().survival([1])
