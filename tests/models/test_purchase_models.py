"""Predictive segments made with the purchase model the user names: BG/NBD, MBG/NBD, Pareto/NBD."""

from __future__ import annotations

from typing import TYPE_CHECKING, get_args

import narwhals.stable.v2 as nw
import numpy as np
import polars as pl
import pytest

import segwise as sw
from segwise._config import PurchaseModelName
from segwise._validation import PURCHASE_MODEL_NAMES, purchase_model_name
from segwise.datasets import sample_paths
from segwise.exceptions import ConfigError
from segwise.models.comparison import TIE, ModelScore, compare_purchase_models
from segwise.models.diagnostics import diagnose_fit, overdue
from segwise.models.predictions import predict_customers
from segwise.models.purchase_models import PARAMETER_KEYS, PURCHASE_MODELS, new_model

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def summary() -> pl.DataFrame:
    orders = sw.read_transactions(sample_paths()["orders"])
    found = sw.rfm_summary(orders, monetary_value_col="amount", time_unit="W")
    return found.filter(pl.col("monetary_value") >= 0).sort("customer_id")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("BG/NBD", "BG/NBD"),
        ("bgnbd", "BG/NBD"),
        ("bg", "BG/NBD"),
        ("MBG/NBD", "MBG/NBD"),
        ("mbg_nbd", "MBG/NBD"),
        ("Pareto/NBD", "Pareto/NBD"),
        ("pareto_nbd", "Pareto/NBD"),
        ("PARETO", "Pareto/NBD"),
    ],
)
def test_any_spelling_names_one_model(typed: str, name: str) -> None:
    assert purchase_model_name(typed) == name
    assert name == new_model(typed).MODEL


def test_the_names_are_one_list_everywhere() -> None:
    # The project file's choices, the spelling reader's and the models'.
    choices = get_args(get_args(PurchaseModelName)[0])
    assert list(PURCHASE_MODELS) == list(PURCHASE_MODEL_NAMES) == list(choices)
    assert set(PARAMETER_KEYS) == set(PURCHASE_MODELS)
    assert all(name == PURCHASE_MODELS[name].MODEL for name in PURCHASE_MODELS)


def test_an_unknown_model_is_refused_with_the_names_to_use() -> None:
    with pytest.raises(ConfigError) as caught:
        new_model("gamma-poisson")
    assert "gamma-poisson" in caught.value.one_line()
    assert all(name in caught.value.one_line() for name in PURCHASE_MODELS)


@pytest.mark.parametrize("name", list(PURCHASE_MODELS))
def test_the_predictions_are_the_named_models(summary: pl.DataFrame, name: str) -> None:
    found = predict_customers(summary, horizon=26.0, purchase_model=name)
    assert name == found.purchase_model.MODEL
    # Set against the model fitted on its own, outside the predictions.
    alone = PURCHASE_MODELS[name]().fit(summary)
    assert found.purchase_model.params_ == pytest.approx(alone.params_, rel=1e-6)
    np.testing.assert_allclose(found.table["p_alive"], alone.p_alive(summary), rtol=1e-9)
    np.testing.assert_allclose(
        found.table["expected_purchases"], alone.expected_purchases(summary, 26.0), rtol=1e-9
    )
    parameters = found.parameters()
    assert set(parameters) == {PARAMETER_KEYS[name], "gamma_gamma"}
    assert parameters[PARAMETER_KEYS[name]]["log_likelihood"] == alone.log_likelihood_


def test_one_time_buyers_keep_the_silence_rule_under_every_model(summary: pl.DataFrame) -> None:
    x, t_x, age = (summary[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    silent_once = (x == 0) & overdue(x, t_x, age)
    assert silent_once.sum() > 100  # the check could fail
    seen = {}
    for name in PURCHASE_MODELS:
        found = predict_customers(summary, horizon=26.0, purchase_model=name)
        assert found.churn_basis == "p_alive"
        p_alive = found.table["p_alive"].to_numpy()
        churned = np.isin(found.table["segment"].to_numpy(), ["Churn risk", "At-risk high value"])
        assert churned[silent_once].all(), name
        seen[name] = p_alive[x == 0]
    # BG/NBD's one-time buyers are all alive by assumption; the others' are not.
    assert (seen["BG/NBD"] == 1).all()
    for name in ("MBG/NBD", "Pareto/NBD"):
        assert seen[name].max() < 1 and seen[name].std() > 0.01, name


def test_the_fit_warnings_name_the_model_and_its_own_dropout() -> None:
    x = np.array([0, 1, 3, 2] * 50, dtype=float)
    age = np.full(x.size, 30.0)
    mbg = diagnose_fit({"r": 0.8, "alpha": 9.6, "a": 0.0006, "b": 172.0}, x, x * 3, age,
                       model="MBG/NBD")  # fmt: skip
    assert [w.code for w in mbg] == ["no_dropout"]
    assert mbg[0].message.startswith("the MBG/NBD fit") and "Pareto/NBD" in mbg[0].advice
    # Pareto/NBD: a dropout rate a thousandth of the purchase rate is no dropout; the
    # advice cannot send the user to Pareto/NBD, which this is.
    none = {"r": 0.8, "alpha": 9.6, "s": 0.5, "beta": 9.6 * 0.5 / 0.8 * 2000}
    pareto = diagnose_fit(none, x, x * 3, age, model="Pareto/NBD")
    assert [w.code for w in pareto] == ["no_dropout"]
    assert "s = 0.5" in pareto[0].message and "Pareto/NBD" not in pareto[0].advice
    some = {"r": 0.8, "alpha": 9.6, "s": 0.5, "beta": 12.0}
    assert diagnose_fit(some, x, x * 3, age, model="Pareto/NBD") == []
    edge = {"r": 0.8, "alpha": 2e4, "s": 0.5, "beta": 12.0}
    assert "Pareto/NBD parameters at the edge" in str(
        diagnose_fit(edge, x, x * 3, age, model="Pareto/NBD")[-1]
    )


def test_the_comparison_sets_every_model_against_the_one_used(summary: pl.DataFrame) -> None:
    rng = np.random.default_rng(3)
    frame = summary.with_columns(
        pl.Series("frequency_holdout", rng.poisson(summary["frequency"].to_numpy() / 4))
    )
    by_default = compare_purchase_models(frame, 26.0)
    pareto = compare_purchase_models(frame, 26.0, used="pareto_nbd")
    assert by_default.used == "BG/NBD" and pareto.used == "Pareto/NBD"
    assert pareto.to_dict()["used"] == "Pareto/NBD"
    calls = {s.model: s.same_churn_calls for s in pareto.scores}
    assert calls["Pareto/NBD"] == 1.0
    default_calls = {s.model: s.same_churn_calls for s in by_default.scores}
    assert calls["BG/NBD"] == default_calls["Pareto/NBD"]  # agreement is symmetric
    assert "The segments use Pareto/NBD" in pareto.verdict
    # The model used, when behind the best beyond a tie, is told how to switch.
    for comparison in (by_default, pareto):
        switch = f"set purchase_model: {comparison.best}" in comparison.verdict
        assert switch == _behind(comparison.scores, comparison.used)


def _behind(scores: list[ModelScore], used: str) -> bool:
    """Whether ``used`` is further off the holdout than the best by more than a tie."""
    errors = {s.model: s.mae for s in scores if s.mae is not None}
    best = min(errors.values())
    return errors[used] - best > TIE * best


@pytest.mark.realdata
def test_pareto_nbd_finding_no_dropout_on_real_orders_is_said(shared_data: Path) -> None:
    # Online Retail II to 2010-09-30: BG/NBD, MBG/NBD and Pareto/NBD all find no dropout
    # (the backtest's comparison fits them identically). Segments made with Pareto/NBD must
    # say so, and fall back to purchase cycles, as BG/NBD's do.
    orders = sw.read_transactions(shared_data / "online_retail_ii_2009_2010.csv.gz")
    purchases = orders.data.filter(~nw.col("is_return"), nw.col("amount") > 0)
    summary = sw.rfm_summary(
        purchases, monetary_value_col="amount", observation_period_end="2010-09-30"
    )
    summary = summary.collect() if isinstance(summary, pl.LazyFrame) else summary
    found = predict_customers(summary, horizon=13.0, purchase_model="Pareto/NBD")
    [warning] = [w for w in found.warnings if w.code == "no_dropout"]
    assert warning.message.startswith("the Pareto/NBD fit finds almost no dropout (s = ")
    assert found.churn_basis == "purchase_cycle"
