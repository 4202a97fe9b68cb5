"""The model comparison: fitted alike, judged on the holdout, the verdict in words."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl
import pytest

import segwise as sw
from segwise.models.comparison import ModelScore, _verdict, compare_purchase_models
from segwise.models.diagnostics import churn_flags

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.realdata
def test_cdnow_picks_the_smallest_holdout_error(shared_data: Path) -> None:
    frame = pl.read_csv(shared_data / "cdnow_sample_calibration_holdout_summary_derived.csv")
    frame = frame.rename({c: c.removesuffix("_cal") for c in frame.columns})
    comparison = compare_purchase_models(frame, horizon=float(frame["duration_holdout"][0]))
    scores = {s.model: s for s in comparison.scores}
    assert set(scores) == {"BG/NBD", "MBG/NBD", "Pareto/NBD"}
    assert comparison.best == min(scores, key=lambda m: scores[m].mae or 0)
    assert scores["BG/NBD"].log_likelihood == pytest.approx(-9582.43, abs=0.05)  # FHL 2005
    assert all(s.actual == frame["frequency_holdout"].sum() for s in scores.values())
    assert comparison.verdict.startswith(f"{comparison.best} predicts the holdout best")
    assert all(name in comparison.verdict for name in scores)
    assert comparison.to_dict()["models"][0]["model"] == "BG/NBD"
    # The segments are made with BG/NBD: how far behind it is, and whether the others would
    # flag the same churn risks, is measured (it used to say "the segments hardly depend on
    # the choice" without looking).
    behind = (scores["BG/NBD"].mae or 0) - (scores[comparison.best].mae or 0)
    assert f"The segments use BG/NBD, {behind:.3f} purchases per customer further off" in (
        comparison.verdict
    )
    # By the segments' rule: P(alive) under 0.3, or a one-time buyer long silent.
    x, t_x, age = (frame[c].to_numpy().astype(float) for c in ("frequency", "recency", "T"))
    alive = {
        name: churn_flags(model().fit(frame).p_alive(frame), x, t_x, age, threshold=0.3)
        for name, model in {"BG/NBD": sw.BetaGeoModel, "MBG/NBD": sw.ModifiedBetaGeoModel}.items()
    }
    same = float((alive["BG/NBD"] == alive["MBG/NBD"]).mean())
    assert scores["MBG/NBD"].same_churn_calls == pytest.approx(same)
    assert scores["BG/NBD"].same_churn_calls == 1.0 and 0.5 < same < 1.0
    assert f"{same:.1%}" in comparison.verdict
    stricter = compare_purchase_models(
        frame, float(frame["duration_holdout"][0]), churn_threshold=0.6
    )
    assert "(P(alive) under 0.6, or one purchase and silent" in stricter.verdict
    assert stricter.to_dict()["models"][1]["same_churn_calls"] != same


def test_ties_and_failures_are_said() -> None:
    tied = [
        ModelScore("BG/NBD", mae=0.500, actual=100, aggregate_error=0.02),
        ModelScore("MBG/NBD", mae=0.503, actual=100, aggregate_error=-0.01),
        ModelScore("Pareto/NBD", error="did not converge"),
    ]
    best, verdict = _verdict(tied)
    assert best == "BG/NBD"
    assert verdict.startswith("BG/NBD and MBG/NBD predict the holdout alike: 0.500")
    assert "any of them serves" in verdict and "Pareto/NBD (did not converge)" in verdict
    # Three fits of one likelihood (no dropout in the data): said, not "X is best".
    same = [
        ModelScore(name, log_likelihood=-16_363.9, mae=0.819, actual=3_003, aggregate_error=0.13)
        for name in ("BG/NBD", "MBG/NBD", "Pareto/NBD")
    ]
    best, verdict = _verdict(same)
    assert verdict.startswith("BG/NBD, MBG/NBD and Pareto/NBD predict the holdout alike")
    assert "fit the calibration identically (log-likelihood -16,363.9)" in verdict
    assert "best" not in verdict
    # Apart by more than 1%: one is best, the others are listed against it.
    apart = [ModelScore("BG/NBD", mae=0.5), ModelScore("Pareto/NBD", mae=0.6)]
    assert _verdict(apart)[1] == (
        "BG/NBD predicts the holdout best: 0.500 purchases per customer off, against "
        "0.600 (Pareto/NBD)"
    )
    # With the segments' model tied with the best, only the agreement is said; with one fit
    # (no dropout) nothing: every model calls the same customers.
    agreeing = [
        ModelScore("MBG/NBD", log_likelihood=-10.0, mae=0.500, same_churn_calls=0.96),
        ModelScore("BG/NBD", log_likelihood=-11.0, mae=0.502, same_churn_calls=1.0),
    ]
    assert _verdict(agreeing)[1].endswith(
        ": any of them serves. The segments use BG/NBD; MBG/NBD would agree with it on "
        "96.0% of customers about who is a churn risk (P(alive) under 0.3, or one purchase and "
        "silent for over twice the repeat buyers' typical time between purchases)"
    )
    assert (
        "The segments use"
        not in _verdict([replace(score, log_likelihood=-10.0) for score in agreeing])[1]
    )
    none = compare_purchase_models(
        {"frequency": [0, 0], "recency": [0, 0], "T": [5, 6], "frequency_holdout": [0, 1]},
        horizon=5,
    )
    assert none.best is None
    assert none.verdict.startswith("no purchase model could be fitted")


def test_a_model_already_fitted_is_scored_as_it_is() -> None:
    summary = {
        "frequency": [0, 1, 3, 0, 2, 5, 1, 4],
        "recency": [0, 5, 20, 0, 9, 30, 2, 25],
        "T": [30, 30, 35, 12, 40, 36, 33, 38],
        "frequency_holdout": [0, 1, 2, 0, 0, 3, 0, 2],
    }
    given = sw.BetaGeoModel(penalizer=0.1).fit(summary)  # not what a plain fit would give
    comparison = compare_purchase_models(summary, horizon=20, fitted={"BG/NBD": given})
    scored = next(s for s in comparison.scores if s.model == "BG/NBD")
    assert scored.log_likelihood == given.log_likelihood_
    assert scored.log_likelihood != sw.BetaGeoModel().fit(summary).log_likelihood_


def _repeated(times: int) -> pl.DataFrame:
    base = {
        "frequency": [0, 1, 3, 0, 2, 5, 1, 4],
        "recency": [0, 5, 20, 0, 9, 30, 2, 25],
        "T": [30, 30, 35, 12, 40, 36, 33, 38],
        "frequency_holdout": [0, 1, 2, 0, 0, 3, 0, 2],
    }
    return pl.DataFrame({k: v * times for k, v in base.items()})


def test_a_large_summary_is_compared_on_one_seeded_sample() -> None:
    frame = _repeated(50)  # 400 customers
    given = sw.BetaGeoModel(penalizer=0.1).fit(frame)
    comparison = compare_purchase_models(frame, horizon=20, fitted={"BG/NBD": given}, sample=100)
    assert (comparison.customers, comparison.scored) == (400, 100)
    assert comparison.verdict.endswith("a seeded sample of 100 of 400 customers")
    # Every model is judged on the same 100: the given fit (on all 400) is fitted again.
    scores = {s.model: s for s in comparison.scores if s.error is None}
    assert scores["BG/NBD"].log_likelihood != given.log_likelihood_
    assert len({s.actual for s in scores.values()}) == 1
    assert scores["BG/NBD"].actual < frame["frequency_holdout"].sum()
    # The total beside a backtest over everyone says whose it is.
    actual = next(iter(scores.values())).actual
    assert f"off the actual {actual:,.0f} of the 100 sampled customers" in comparison.verdict
    again = compare_purchase_models(frame.to_pandas(), horizon=20, sample=100)
    assert again.to_dict()["models"] == comparison.to_dict()["models"]
    whole = compare_purchase_models(frame, horizon=20, fitted={"BG/NBD": given})
    assert whole.scored == 400 and "sample" not in whole.verdict


def test_a_model_whose_predictions_are_not_numbers_is_left_out() -> None:
    # On these 10 customers MBG/NBD's fit runs off (to r = 6e138 on one machine; on another
    # it stops short of the runaway bound with predictions that come out NaN); either way
    # it must not be ranked (a NaN error once put the worse of the other two first).
    comparison = compare_purchase_models(_repeated(3), horizon=20, sample=10)
    scores = {s.model: s for s in comparison.scores}
    error = scores["MBG/NBD"].error
    assert error is not None and ("ran off" in error or "not finite numbers" in error)
    assert scores["MBG/NBD"].mae is None
    fitted = [s for s in comparison.scores if s.error is None]
    assert comparison.best == min(fitted, key=lambda s: s.mae or 0).model
