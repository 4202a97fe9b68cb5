"""BG/NBD and MBG/NBD predictions against customers simulated from the models themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import segwise as sw
from segwise.models import beta_geo, modified_beta_geo

if TYPE_CHECKING:
    from types import ModuleType

PARAMS = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's CDNOW fit
T, HOLDOUT, PEOPLE, MOST = 39.0, 13.0, 60_000, 80


def _simulate(modified: bool) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Calibration summaries, holdout purchase counts, and whether each was alive at T."""
    rng = np.random.default_rng(11)
    rate = rng.gamma(PARAMS["r"], 1 / PARAMS["alpha"], PEOPLE)
    drop = rng.beta(PARAMS["a"], PARAMS["b"], PEOPLE)
    times = np.cumsum(rng.exponential(1 / rate[:, None], (PEOPLE, MOST)), axis=1)
    # Dropout after each repeat purchase (BG/NBD), and also at time zero (MBG/NBD).
    first = 0 if modified else 1
    tosses = rng.random((PEOPLE, MOST + 1)) < drop[:, None]
    tosses[:, :first] = False
    dies_after = np.where(tosses.any(1), tosses.argmax(1), MOST + 1)  # purchases made, then gone
    made = np.arange(1, MOST + 1)[None, :] <= dies_after[:, None]
    seen = made & (times <= T)
    x = seen.sum(1).astype(float)
    t_x = np.where(x > 0, np.where(seen, times, 0).max(1), 0.0)
    later = made & (times > T) & (times <= T + HOLDOUT)
    summary = {"frequency": x, "recency": t_x, "T": np.full(PEOPLE, T)}
    alive = dies_after > x  # no dropout toss came up after their last purchase by T
    return summary, later.sum(1), alive


@pytest.mark.parametrize("modified", [False, True])
def test_predictions_match_simulated_customers(modified: bool) -> None:
    summary, holdout, alive = _simulate(modified)
    model = sw.ModifiedBetaGeoModel() if modified else sw.BetaGeoModel()
    model.params_ = dict(PARAMS)
    assert model.p_alive(summary).mean() == pytest.approx(alive.mean(), rel=0.02)
    quiet = model.probability_no_purchase(summary, HOLDOUT)
    assert quiet.mean() == pytest.approx((holdout == 0).mean(), rel=0.01)
    expected = model.expected_purchases(summary, HOLDOUT)
    assert expected.sum() == pytest.approx(holdout.sum(), rel=0.03)
    # By history too: the silent ones and the regulars.
    for group in (summary["frequency"] == 0, summary["frequency"] >= 3):
        assert quiet[group].mean() == pytest.approx((holdout[group] == 0).mean(), rel=0.02)


@pytest.mark.parametrize("model", [beta_geo, modified_beta_geo], ids=["bgnbd", "mbgnbd"])
@settings(max_examples=40)
@given(
    params=st.tuples(*[st.floats(0.05, 20.0) for _ in range(4)]),
    seed=st.integers(0, 2**16),
)
def test_the_likelihood_gradient_is_its_slope(
    model: ModuleType, params: tuple[float, float, float, float], seed: int
) -> None:
    # 2,000 histories: enough for the per-count lookup to run, as it does in a real fit.
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 30, 2_000).astype(float)
    age = rng.uniform(1.0, 80.0, 2_000)
    t_x = np.where(x > 0, age * rng.uniform(0.0, 1.0, 2_000), 0.0)
    theta = np.array(params)
    likelihood, gradient = model._log_likelihood, model._log_likelihood_gradient
    slope = gradient(theta, x, t_x, age).sum(axis=1)
    for i in range(4):
        step = 1e-6 * theta[i]
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        numeric = (likelihood(up, x, t_x, age).sum() - likelihood(down, x, t_x, age).sum()) / (
            2 * step
        )
        assert numeric == pytest.approx(slope[i], rel=1e-4, abs=1e-3)
