"""Which purchase model to trust: BG/NBD, MBG/NBD and Pareto/NBD fitted alike, judged on a holdout.

Each model is fitted on the calibration summary and predicts every customer's
purchases over the holdout. The best is the one with the smallest mean absolute
error per customer (segments are made of customers); the aggregate error, the
log-likelihood and the information criteria are shown beside it, and the
verdict names every model within 1% of the best as tied, and says when they
fit the calibration identically (no dropout in the data: each reduces to the
same purchase process). The segments are made with one of them (BG/NBD unless
the segmentation names another: ``used``), so the verdict also says, when it is
not the best, how far it is behind and how to switch, and for every model how
many customers it would call churn risks as the segments' model does, by the
segments' own rule (P(alive) under the segmentation's threshold, or a one-time
buyer long silent): measured, not assumed (on CDNOW, MBG/NBD and Pareto/NBD
call 97–98% of customers as BG/NBD does).

Choosing a model needs far fewer customers than segmenting them: above
:data:`SAMPLE` customers every model is fitted and scored on the same seeded
sample (Pareto/NBD has no analytic gradient: 18 s for its fit and errors at
100,000 customers), and the verdict says so.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from segwise.exceptions import SegwiseError
from segwise.models.base import purchase_summary
from segwise.models.diagnostics import churn_flags
from segwise.models.purchase_models import DEFAULT_MODEL, PURCHASE_MODELS, model_name
from segwise.models.sampling import seeded_sample

#: Relative difference in error below which two models are called tied.
TIE = 0.01
#: Relative difference in log-likelihood below which two fits are the same fit.
IDENTICAL = 1e-6
#: Customers the models are compared on at most (a seeded sample above that).
SAMPLE = 20_000
#: P(alive) under which the predictive segments call a customer a churn risk, by default.
CHURN_THRESHOLD = 0.3


@dataclass(frozen=True)
class ModelScore:
    """One model's fit and holdout accuracy (``error`` set instead when it could not be fitted)."""

    model: str
    log_likelihood: float | None = None
    aic: float | None = None
    bic: float | None = None
    mae: float | None = None
    predicted: float | None = None
    actual: float | None = None
    aggregate_error: float | None = None  # (predicted − actual) / actual
    #: Share of the customers this model calls churn risks or not as the segments' model
    #: does, by the segments' rule (``churn_flags``: P(alive) under the threshold, or a
    #: one-time buyer long silent).
    same_churn_calls: float | None = None
    error: str | None = None


@dataclass(frozen=True)
class ModelComparison:
    """Every model's score, the best one and why."""

    scores: list[ModelScore]
    best: str | None
    verdict: str
    #: Customers in the summary, and those the models were scored on (fewer when sampled).
    customers: int = 0
    scored: int = 0
    #: The model the segments are made with, which ``same_churn_calls`` is set against.
    used: str = DEFAULT_MODEL

    def to_dict(self) -> dict[str, Any]:
        """As ``segwise clv --json`` shows it under ``comparison``."""
        return {
            "best": self.best,
            "used": self.used,
            "verdict": self.verdict,
            "customers": self.customers,
            "scored": self.scored,
            "models": [asdict(score) for score in self.scores],
        }


def _score(
    name: str, frame: Any, horizon: float, fitted: Any = None
) -> tuple[ModelScore, np.ndarray | None]:
    """The model's score, and each customer's P(alive) (None when it could not be fitted)."""
    try:
        model = fitted if fitted is not None else PURCHASE_MODELS[name]().fit(frame)
    except SegwiseError as exc:
        return ModelScore(name, error=exc.one_line()), None
    predicted = model.expected_purchases(frame, horizon)
    if not np.all(np.isfinite(predicted)):  # a NaN error would sort anywhere among the others
        return ModelScore(
            name, error="its predictions are not finite numbers (a degenerate fit)"
        ), None
    actual = np.asarray(frame["frequency_holdout"], dtype=float)
    total = float(actual.sum())
    return ModelScore(
        name,
        log_likelihood=model.log_likelihood_,
        aic=model.aic_,
        bic=model.bic_,
        mae=float(np.abs(predicted - actual).mean()),
        predicted=float(predicted.sum()),
        actual=total,
        aggregate_error=float((predicted.sum() - total) / total) if total else None,
    ), np.asarray(model.p_alive(frame), dtype=float)


def _verdict(
    scores: list[ModelScore],
    churn_threshold: float = CHURN_THRESHOLD,
    used: str = DEFAULT_MODEL,
    sampled: int | None = None,
) -> tuple[str | None, str]:
    fitted = sorted((s for s in scores if s.mae is not None), key=lambda s: s.mae or 0.0)
    if not fitted:
        return None, "no purchase model could be fitted: " + "; ".join(
            f"{s.model}: {s.error}" for s in scores
        )
    best = fitted[0]
    tied = [s for s in fitted if (s.mae or 0.0) - (best.mae or 0.0) <= TIE * (best.mae or 0.0)]
    rest = [s for s in fitted if s not in tied]
    if len(tied) > 1:
        text = (
            f"{_listed([s.model for s in tied])} predict the holdout alike: {best.mae:.3f} "
            f"purchases per customer off, within {TIE:.0%} of each other"
        )
    else:
        text = f"{best.model} predicts the holdout best: {best.mae:.3f} purchases per customer off"
    if rest:
        text += ", against " + ", ".join(f"{s.mae:.3f} ({s.model})" for s in rest)
    if best.aggregate_error is not None:
        text += f"; in total {best.model} is {best.aggregate_error:+.1%} off the actual "
        text += f"{best.actual:,.0f}"
        if sampled is not None:  # beside a backtest's total over everyone, say whose it is
            text += f" of the {sampled:,} sampled customers"
    if len(tied) > 1:
        text += _tie_reason(tied)
    text += _segments_note(fitted, tied, churn_threshold, used)
    failed = [s for s in scores if s.error]
    if failed:
        text += ". Left out: " + "; ".join(f"{s.model} ({s.error})" for s in failed)
    return best.model, text


def _same_fit(tied: list[ModelScore]) -> float | None:
    """The log-likelihood the tied models share, when they are one fit (no dropout seen)."""
    fits = [s.log_likelihood for s in tied if s.log_likelihood is not None]
    if len(fits) == len(tied) and max(fits) - min(fits) <= IDENTICAL * abs(max(fits)):
        return max(fits)
    return None


def _tie_reason(tied: list[ModelScore]) -> str:
    """Why tied models serve alike.

    When they fit the calibration identically, there was no dropout in the data,
    which is where the models differ.
    """
    if (fit := _same_fit(tied)) is not None:
        return (
            f". They fit the calibration identically (log-likelihood {fit:,.1f}): the "
            "data shows no dropout, which is where these models differ, so the choice does "
            "not matter"
        )
    return ": any of them serves"


def _segments_note(
    fitted: list[ModelScore], tied: list[ModelScore], threshold: float, model: str
) -> str:
    """What the choice means for the segments, which are made with ``model``.

    How far that model is behind the best, when it is (and how to switch), and how
    many customers each other model would call churn risks (or not) as it does:
    measured, because a small difference in error need not mean the same customers
    are flagged.
    """
    used = next((s for s in fitted if s.model == model), None)
    others = [s for s in fitted if s is not used and s.same_churn_calls is not None]
    one_fit = len(tied) > 1 and used in tied and _same_fit(tied) is not None
    if used is None or not others or one_fit:  # no dropout: the choice cannot matter
        return ""
    text = f". The segments use {used.model}"
    switch = ""
    if used not in tied:
        best = fitted[0]
        behind = (used.mae or 0.0) - (best.mae or 0.0)
        text += (
            f", {behind:.3f} purchases per customer further off than {best.model} "
            f"({behind / (best.mae or 1.0):.0%})"
        )
        switch = (
            f". To segment with {best.model}, set purchase_model: {best.model} (segwise.yaml) "
            f"or --purchase-model {best.model}"
        )
    shares = _listed([f"{s.same_churn_calls:.1%}" for s in others])
    return text + (
        f"; {_listed([s.model for s in others])} would agree with it on {shares} of "
        f"customers about who is a churn risk (P(alive) under {threshold:g}, or one purchase "
        "and silent for over twice the repeat buyers' typical time between purchases)" + switch
    )


def _listed(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def compare_purchase_models(
    frame: Any,
    horizon: float,
    fitted: dict[str, Any] | None = None,
    *,
    sample: int = SAMPLE,
    seed: int = 0,
    churn_threshold: float = CHURN_THRESHOLD,
    used: str = DEFAULT_MODEL,
) -> ModelComparison:
    """Fit BG/NBD, MBG/NBD and Pareto/NBD on a calibration summary and score them on its holdout.

    Parameters
    ----------
    frame
        ``frequency, recency, T`` of the calibration and ``frequency_holdout`` (as
        ``sw.calibration_and_holdout_data`` gives them).
    horizon
        The holdout's length in the summary's time unit.
    fitted
        Models already fitted on ``frame``, by name (``{"BG/NBD": model}``): not fitted
        again, unless ``frame`` is sampled (then every model is fitted on the sample, so
        all are judged on the same customers).
    sample, seed
        Above ``sample`` customers, compare on a sample of that many, drawn with ``seed``.
    churn_threshold
        P(alive) under which a customer is a churn risk (or a one-time buyer long
        silent, as the segments judge it): each model's calls are set against those of
        ``used``, the segments' model (``same_churn_calls``).

    Examples
    --------
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5, 1, 4],
    ...            "recency": [0, 5, 20, 0, 9, 30, 2, 25],
    ...            "T": [30, 30, 35, 12, 40, 36, 33, 38],
    ...            "frequency_holdout": [0, 1, 2, 0, 0, 3, 0, 2]}
    >>> comparison = compare_purchase_models(summary, horizon=20)
    >>> [score.model for score in comparison.scores]
    ['BG/NBD', 'MBG/NBD', 'Pareto/NBD']
    """
    used = model_name(used)
    scored, customers = seeded_sample(frame, sample, seed)
    given = fitted if scored is frame else None
    found = {
        name: _score(name, scored, horizon, (given or {}).get(name)) for name in PURCHASE_MODELS
    }
    # The segments' own call: P(alive) under the threshold, or a one-time buyer long silent.
    x, t_x, age = purchase_summary(scored)
    calls = {
        name: churn_flags(alive, x, t_x, age, threshold=churn_threshold)
        for name, (_, alive) in found.items()
        if alive is not None
    }
    theirs = calls.get(used)
    scores = [
        score
        if name not in calls or theirs is None
        else replace(score, same_churn_calls=float(np.mean(calls[name] == theirs)))
        for name, (score, _) in found.items()
    ]
    sampled = None if scored is frame else min(sample, customers)
    best, verdict = _verdict(scores, churn_threshold, used, sampled)
    if scored is not frame:
        verdict += (
            f". Fitted and scored on a seeded sample of {sample:,} of {customers:,} customers"
        )
    return ModelComparison(scores, best, verdict, customers, min(sample, customers), used)
