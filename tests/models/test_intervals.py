"""Prediction intervals: they hold the truth, shrink with data, and do not depend on batching."""

from __future__ import annotations

import numpy as np
import pytest

import segwise as sw
from segwise.exceptions import ConfigError, DataError
from segwise.models import customer_lifetime_value
from segwise.models.intervals import parameter_draws, prediction_intervals
from tests.models.simulate import bg_nbd_customers

TRUTH = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's CDNOW fit
HISTORIES = {"frequency": [0.0, 2.0, 7.0], "recency": [0.0, 30.0, 20.0], "T": [39.0] * 3}


def test_the_intervals_hold_the_prediction_at_the_true_parameters() -> None:
    truth = sw.BetaGeoModel()
    truth.params_ = TRUTH
    expected = truth.expected_purchases(HISTORIES, 39)
    alive = truth.p_alive(HISTORIES)
    runs, held = 100, np.zeros(2)
    for seed in range(runs):
        model = sw.BetaGeoModel().fit(bg_nbd_customers(seed, TRUTH, 500))
        bounds = prediction_intervals(model, HISTORIES, horizon=39, draws=200, seed=seed)
        for index, (name, value) in enumerate(
            (("expected_purchases", expected), ("p_alive", alive))
        ):
            inside = (bounds[f"{name}_lower"].to_numpy() <= value) & (
                value <= bounds[f"{name}_upper"].to_numpy()
            )
            held[index] += inside[1:].all()  # a customer without repeats is alive: no interval
    assert (held >= 0.85 * runs).all(), held


def test_more_customers_narrow_the_interval_and_batches_change_nothing() -> None:
    small = sw.BetaGeoModel().fit(bg_nbd_customers(1, TRUTH, 300))
    large = sw.BetaGeoModel().fit(bg_nbd_customers(1, TRUTH, 6000))
    widths = []
    for model in (small, large):
        bounds = prediction_intervals(model, HISTORIES, horizon=20, draws=300)
        widths.append((bounds["expected_purchases_upper"] - bounds["expected_purchases_lower"])[1])
    assert widths[1] < widths[0] / 2
    summary = bg_nbd_customers(2, TRUTH, 400)
    whole = prediction_intervals(large, summary, horizon=20, draws=50)
    batched = prediction_intervals(large, summary, horizon=20, draws=50, batch_size=7)
    assert whole.equals(batched)
    # Customers with the same history share their interval; each keeps their own row.
    point = large.expected_purchases(summary, 20)
    assert (whole["expected_purchases_lower"].to_numpy() <= point + 1e-12).all()
    assert (point <= whole["expected_purchases_upper"].to_numpy() + 1e-12).all()


def test_clv_intervals_with_a_spend_model_and_discounting() -> None:
    summary = bg_nbd_customers(3, TRUTH, 800)
    rng = np.random.default_rng(3)
    summary["monetary_value"] = np.where(summary["frequency"] > 0, rng.gamma(4, 10, 800), 0.0)
    purchases = sw.BetaGeoModel().fit(summary)
    spend = sw.GammaGammaModel(q_above_one=True).fit(summary)
    bounds = prediction_intervals(
        purchases, summary, horizon=52, spend_model=spend, periods=12, discount_rate=0.01, draws=100
    )
    value = customer_lifetime_value(
        purchases, spend, summary, periods=12, period_length=52 / 12, discount_rate=0.01
    )
    assert (bounds["clv_lower"].to_numpy() <= value * (1 + 1e-9)).all()
    assert (value <= bounds["clv_upper"].to_numpy() * (1 + 1e-9)).all()
    assert (bounds["clv_upper"] > bounds["clv_lower"]).all()


def test_draws_are_seeded_and_positive_and_bad_settings_are_refused() -> None:
    model = sw.BetaGeoModel().fit(bg_nbd_customers(4, TRUTH, 3000))
    first, again = parameter_draws(model, 1000, seed=9), parameter_draws(model, 1000, seed=9)
    assert np.array_equal(first, again)
    assert (first > 0).all()
    centre = np.log([model.params_[name] for name in model.PARAMS])
    spread = [model.standard_errors_[name] / model.params_[name] for name in model.PARAMS]
    assert (np.abs(np.median(np.log(first), axis=0) - centre) < 0.2 * np.array(spread)).all()
    assert np.std(np.log(first), axis=0) == pytest.approx(spread, rel=0.1)
    with pytest.raises(ConfigError, match="draws must be 1 or more"):
        parameter_draws(model, 0)
    with pytest.raises(ConfigError, match="level must be between 0 and 1"):
        prediction_intervals(model, HISTORIES, horizon=5, level=1.5)
    unfitted = sw.BetaGeoModel()
    unfitted.params_ = TRUTH
    with pytest.raises(DataError, match="no covariance"):
        parameter_draws(unfitted, 10)


def test_a_flat_parameter_is_held_and_said() -> None:
    model = sw.BetaGeoModel().fit(bg_nbd_customers(5, TRUTH, 2000))
    model.covariance_ = model.covariance_.copy()
    model.covariance_[3, :] = model.covariance_[:, 3] = 0.0
    model.covariance_[3, 3] = -1.0  # what a fit at the edge of its space (no dropout) leaves
    draws = parameter_draws(model, 200, seed=3)
    assert (draws[:, 3] == model.params_["b"]).all()
    assert draws[:, :3].std(axis=0).min() > 0
