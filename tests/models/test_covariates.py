"""Covariates: the coefficients recover a known effect, and predictions use them."""

from __future__ import annotations

import numpy as np
import pytest

import segwise as sw
from segwise.exceptions import DataError
from tests.models.simulate import bg_nbd_customers

TRUTH = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's CDNOW fit
PURCHASE, DROPOUT = 0.7, -0.6  # a web signup doubles the rate and lowers dropout


def _with_channel(seed: int, people: int = 1000) -> dict[str, np.ndarray]:
    web = (np.random.default_rng(10_000 + seed).random(people) < 0.5).astype(float)
    summary = bg_nbd_customers(
        seed,
        TRUTH,
        people,
        rate_factor=np.exp(PURCHASE * web),
        dropout_factor=np.exp(DROPOUT * web),
    )
    return summary | {"web": web}


def test_the_coefficients_95_percent_intervals_cover_the_truth() -> None:
    covered = {"purchase:web": 0, "dropout:web": 0}
    truth = {"purchase:web": PURCHASE, "dropout:web": DROPOUT}
    runs = 200
    for seed in range(runs):
        model = sw.BetaGeoModel(purchase_covariates=["web"], dropout_covariates=["web"])
        model.fit(_with_channel(seed))
        for name, (low, high) in model.confidence_intervals_.items():
            if name in covered:
                assert low < model.coefficients_[name] < high
                covered[name] += low <= truth[name] <= high
    assert all(count >= 0.9 * runs for count in covered.values()), covered


def test_predictions_follow_the_covariate() -> None:
    summary = _with_channel(0, 4000)
    model = sw.BetaGeoModel(purchase_covariates=["web"]).fit(summary)
    assert model.coefficients_["purchase:web"] == pytest.approx(PURCHASE, abs=0.25)
    same = {"frequency": [2.0, 2.0], "recency": [20.0, 20.0], "T": [39.0, 39.0]}
    expected = model.expected_purchases(same | {"web": [0.0, 1.0]}, 10)
    # The same history, a faster buyer by channel: a web customer is expected to buy more.
    assert expected[1] > expected[0]
    plain = sw.BetaGeoModel().fit(summary)
    assert model.log_likelihood_ > plain.log_likelihood_ + 10  # the covariate explains data
    assert model.aic_ < plain.aic_
    with pytest.raises(DataError, match="covariate column"):
        model.p_alive(same)


def test_gamma_gamma_recovers_a_spend_effect() -> None:
    rng = np.random.default_rng(3)
    people, p, q, v, effect = 3000, 6.0, 4.0, 15.0, 0.5
    region = (rng.random(people) < 0.4).astype(float)
    frequency = rng.integers(1, 8, people).astype(float)
    nu = rng.gamma(q, 1 / (v * np.exp(effect * region)))
    # The mean of x Gamma(p, ν) values is Gamma(p x, x ν).
    mean_spend = rng.gamma(p * frequency, 1 / (frequency * nu))
    summary = {"frequency": frequency, "monetary_value": mean_spend, "north": region}
    model = sw.GammaGammaModel(spend_covariates=["north"]).fit(summary)
    low, high = model.confidence_intervals_["spend:north"]
    assert low <= effect <= high
    values = model.expected_average_value(
        {"frequency": [0.0, 0.0], "monetary_value": [0.0, 0.0], "north": [0.0, 1.0]}
    )
    assert values[1] / values[0] == pytest.approx(np.exp(model.coefficients_["spend:north"]))


def test_a_covariate_must_be_a_number_without_gaps() -> None:
    summary = bg_nbd_customers(1, TRUTH, 200)
    with pytest.raises(DataError, match="covariate web is not numeric"):
        sw.BetaGeoModel(purchase_covariates=["web"]).fit(summary | {"web": ["a"] * 200})
    gaps = np.ones(200)
    gaps[17] = np.nan
    with pytest.raises(DataError, match="row 18: covariate web is missing"):
        sw.BetaGeoModel(purchase_covariates=["web"]).fit(summary | {"web": gaps})


def test_an_irrelevant_covariate_is_found_irrelevant() -> None:
    # A coefficient near 0 needs its own Hessian step: a relative one vanished in rounding.
    runs, covered = 100, 0
    for seed in range(runs):
        summary = bg_nbd_customers(seed, TRUTH, 1000)
        noise = (np.random.default_rng(seed + 99).random(1000) < 0.5).astype(float)
        model = sw.BetaGeoModel(purchase_covariates=["noise"]).fit(summary | {"noise": noise})
        low, high = model.confidence_intervals_["purchase:noise"]
        covered += low <= 0 <= high
    assert covered >= 0.9 * runs, covered
