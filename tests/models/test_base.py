"""The shared fit: an aggregated table with weights fits as the customers it counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

import segwise as sw


@pytest.mark.realdata
@pytest.mark.parametrize("model", [sw.BetaGeoModel, sw.ModifiedBetaGeoModel, sw.ParetoNBDModel])
def test_an_aggregated_table_fits_as_its_customers(cdnow: pl.DataFrame, model: type) -> None:
    table = cdnow.group_by("frequency", "recency", "T").agg(pl.len().alias("weights"))
    assert table.height < cdnow.height
    by_customer = model().fit(cdnow)
    by_pattern = model().fit(table)
    assert by_pattern.n_customers_ == by_customer.n_customers_ == cdnow.height
    assert by_pattern.log_likelihood_ == pytest.approx(by_customer.log_likelihood_, rel=1e-9)
    for name, value in by_customer.params_.items():
        assert by_pattern.params_[name] == pytest.approx(value, rel=1e-4), name


@pytest.mark.realdata
def test_gamma_gamma_weights_and_the_q_above_one_option(cdnow: pl.DataFrame) -> None:
    repeat = cdnow.filter(pl.col("frequency") > 0).with_columns(pl.col("monetary_value").round(0))
    table = repeat.group_by("frequency", "monetary_value").agg(pl.len().alias("weights"))
    by_customer = sw.GammaGammaModel().fit(repeat)
    by_pattern = sw.GammaGammaModel().fit(table)
    assert by_pattern.log_likelihood_ == pytest.approx(by_customer.log_likelihood_, rel=1e-9)
    # CDNOW's q is 3.7: the constraint changes nothing there.
    constrained = sw.GammaGammaModel(q_above_one=True).fit(repeat)
    assert constrained.params_["q"] == pytest.approx(by_customer.params_["q"], rel=1e-3)


def test_q_above_one_holds_where_the_free_fit_goes_below() -> None:
    rng = np.random.default_rng(3)
    # Per-customer mean values with a tail so heavy that the best q is below 1.
    x = rng.integers(1, 6, 400).astype(float)
    m = np.exp(rng.normal(3, 2.2, 400))
    table = {"frequency": x, "monetary_value": m}
    free = sw.GammaGammaModel().fit(table)
    assert free.params_["q"] < 1
    bounded = sw.GammaGammaModel(q_above_one=True).fit(table)
    assert bounded.params_["q"] > 1
    assert bounded.log_likelihood_ <= free.log_likelihood_
    assert np.all(np.isfinite(bounded.expected_average_value(table)))


def test_information_criteria_count_the_parameters() -> None:
    summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
               "T": [30, 30, 35, 12, 40, 36]}  # fmt: skip
    model = sw.BetaGeoModel().fit(summary)
    assert model.aic_ == pytest.approx(8 - 2 * model.log_likelihood_)
    assert model.bic_ == pytest.approx(4 * np.log(6) - 2 * model.log_likelihood_)


def _bg_nbd_customers(seed: int, params: dict[str, float], people: int = 1000) -> dict[str, Any]:
    """Calibration summaries of customers drawn from BG/NBD itself (39 weeks)."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params["r"], 1 / params["alpha"], people)
    drop = rng.beta(params["a"], params["b"], people)
    times = np.cumsum(rng.exponential(1 / rate[:, None], (people, 60)), axis=1)
    tosses = rng.random((people, 61)) < drop[:, None]
    tosses[:, 0] = False  # BG/NBD: no dropout before the first repeat purchase
    dies_after = np.where(tosses.any(1), tosses.argmax(1), 61)
    seen = (np.arange(1, 61)[None, :] <= dies_after[:, None]) & (times <= 39.0)
    x = seen.sum(1).astype(float)
    t_x = np.where(x > 0, np.where(seen, times, 0).max(1), 0.0)
    return {"frequency": x, "recency": np.round(t_x, 1), "T": np.full(people, 39.0)}


def test_the_95_percent_intervals_cover_the_truth_in_simulations() -> None:
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's CDNOW fit
    covered = dict.fromkeys(truth, 0)
    for seed in range(200):
        model = sw.BetaGeoModel().fit(_bg_nbd_customers(seed, truth))
        for name, (low, high) in model.confidence_intervals_.items():
            assert 0 < low < model.params_[name] < high
            covered[name] += low <= truth[name] <= high
    assert all(count >= 180 for count in covered.values()), covered
