"""The shared fit: an aggregated table with weights fits as the customers it counts."""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl
import pytest

import segwise as sw
from segwise.models.base import MaximumLikelihoodModel
from tests.models.simulate import bg_nbd_customers


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


def test_the_95_percent_intervals_cover_the_truth_in_simulations() -> None:
    truth = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's CDNOW fit
    covered = dict.fromkeys(truth, 0)
    for seed in range(200):
        model = sw.BetaGeoModel().fit(bg_nbd_customers(seed, truth))
        for name, (low, high) in model.confidence_intervals_.items():
            assert 0 < low < model.params_[name] < high
            covered[name] += low <= truth[name] <= high
    assert all(count >= 180 for count in covered.values()), covered


@pytest.mark.parametrize("model", [sw.BetaGeoModel, sw.ModifiedBetaGeoModel, sw.GammaGammaModel])
def test_analytic_gradients_find_the_finite_difference_optimum(
    cdnow: pl.DataFrame, model: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    analytic = model().fit(cdnow)
    keep = MaximumLikelihoodModel._maximise

    def without_gradient(self: Any, negative: Any, n: int, names: Any = (), _: Any = None) -> None:
        keep(self, negative, n, names, None)

    monkeypatch.setattr(MaximumLikelihoodModel, "_maximise", without_gradient)
    numeric = model().fit(cdnow)
    assert analytic.log_likelihood_ == pytest.approx(numeric.log_likelihood_, abs=1e-6)
    for name, value in numeric.params_.items():
        assert analytic.params_[name] == pytest.approx(value, rel=1e-4)
        error = numeric.standard_errors_[name]
        assert analytic.standard_errors_[name] == pytest.approx(error, rel=1e-3)


@pytest.mark.parametrize(
    ("model", "summary"),
    [
        (
            sw.ModifiedBetaGeoModel,
            {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
             "T": [30, 30, 35, 12, 40, 36]},
        ),
        (
            sw.GammaGammaModel,
            {"frequency": [1, 2, 4, 1, 3], "monetary_value": [20.0, 35.5, 12.0, 60.0, 25.0]},
        ),
    ],
)  # fmt: skip
def test_a_fallback_that_stops_improving_stops(
    model: type, summary: dict[str, list[float]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A handful of customers with no spread to find: the likelihood rises towards its
    # limit as the parameters run off together, L-BFGS-B gives up far out on that ridge,
    # and there Nelder-Mead's own stopping test never passes (the values it compares are
    # rounding noise). It ran all of its 20,000 iterations, about 120,000 likelihoods.
    calls = []
    keep = MaximumLikelihoodModel._maximise

    def counted(self: Any, negative: Any, n: int, names: Any = (), gradient: Any = None) -> None:
        def counting(theta: np.ndarray) -> float:
            calls.append(1)
            return float(negative(theta))

        keep(self, counting, n, names, gradient)

    monkeypatch.setattr(MaximumLikelihoodModel, "_maximise", counted)
    fitted = model().fit(summary)
    assert len(calls) < 20_000
    assert all(np.isfinite(v) and v > 0 for v in fitted.params_.values())
    assert np.isfinite(fitted.log_likelihood_)
