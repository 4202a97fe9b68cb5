"""Is a BTYD fit fit to segment on? Degenerate fits, said plainly, with what to do.

A BG/NBD fit (or MBG/NBD's, or Pareto/NBD's) can converge and still be useless
for predictive segments: on order-line exports with a short window it often
finds almost no dropout (``a → 0`` or ``b → ∞``), so P(alive) is 1 for everyone
and "churn risk" can never happen. These checks catch that before a marketer
acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import polars as pl

from segwise.models.base import purchase_summary, row_weights
from segwise.models.histories import weighted_median


class NewCustomerCounts(Protocol):
    """A model that gives a new customer's count distribution (BG/NBD, MBG/NBD, Pareto/NBD)."""

    def new_customer_pmf(self, t: Any, n: int) -> np.ndarray:
        """P(X(t) = n) for a new customer."""
        ...


#: Dropout probability after a purchase below which the fit "never loses anyone".
MIN_DROPOUT = 1e-3
#: Parameters beyond these are at the optimiser's edge rather than estimated.
PARAMETER_RANGE = (1e-4, 1e4)
#: Fewest repeat buyers (and smallest share) for a purchase-count model to learn from.
MIN_REPEAT_BUYERS = 100
MIN_REPEAT_SHARE = 0.1


_FALLBACK = "predictive segments fall back to recency against each customer's own purchase cycle"


@dataclass(frozen=True, slots=True)
class FitWarning:
    """One reason to distrust a fit: a code, what is wrong, and what to do."""

    code: str
    message: str
    advice: str

    def __str__(self) -> str:
        return f"{self.message}; {self.advice}"


def pareto_found_none(warning: FitWarning) -> FitWarning:
    """The no-dropout warning once Pareto/NBD has been fitted and found none either.

    Its advice to try Pareto/NBD would then contradict the model comparison beside it.

    Examples
    --------
    >>> w = FitWarning("no_dropout", "no dropout", "use Pareto/NBD")
    >>> pareto_found_none(w).advice.startswith("use a longer calibration window")
    True
    """
    if warning.code != "no_dropout":
        return warning
    return FitWarning(
        warning.code,
        warning.message,
        "use a longer calibration window (Pareto/NBD, fitted in the model comparison, found no "
        f"dropout either); {_FALLBACK}",
    )


def diagnose_fit(
    params: dict[str, float],
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    model: str = "BG/NBD",
) -> list[FitWarning]:
    """Warnings about a purchase model's fit on a calibration summary (empty when it looks sound).

    ``model`` names the fit (BG/NBD, MBG/NBD: parameters ``r, alpha, a, b``;
    Pareto/NBD: ``r, alpha, s, beta``). ``weights`` counts the customers each row
    stands for (distinct histories).

    Examples
    --------
    >>> x = np.array([0, 1, 3, 2] * 50, dtype=float)
    >>> warnings = diagnose_fit({"r": 0.8, "alpha": 9.6, "a": 0.0006, "b": 172.0},
    ...                         x, x * 3, np.full(200, 30.0))
    >>> [w.code for w in warnings]
    ['no_dropout']
    """
    out: list[FitWarning] = []
    dropout, said, dropout_params = _dropout(model, params)
    if dropout < MIN_DROPOUT:
        shown = ", ".join(f"{name} = {params[name]:.3g}" for name in dropout_params)
        # Not "a daily time unit": a and b do not depend on the unit (only alpha scales
        # with it), and Online Retail II fitted in days and in weeks found the same lack
        # of dropout.
        other = (
            ""
            if model == "Pareto/NBD"
            else ", or Pareto/NBD (its customers drop out at any time, not only after a purchase)"
        )
        out.append(
            FitWarning(
                "no_dropout",
                f"the {model} fit finds almost no dropout ({shown}: {said} {dropout:.2g}), "
                "so P(alive) is near 1 for everyone and cannot flag churn",
                f"use a longer calibration window{other}; {_FALLBACK}",
            )
        )
    low, high = PARAMETER_RANGE
    edge = {name: value for name, value in params.items() if not low < value < high}
    if out:  # the dropout parameters at their edge are the missing dropout, said once
        edge = {name: value for name, value in edge.items() if name not in dropout_params}
    if edge:
        shown = ", ".join(f"{name} = {value:.3g}" for name, value in edge.items())
        scale = "alpha" in edge or "r" in edge  # the purchase rate, whose scale is the unit's
        out.append(
            FitWarning(
                "at_bound",
                f"{model} parameters at the edge of their range ({shown}): not estimated",
                "the data cannot pin the model down; "
                + ("check the time unit and the window" if scale else "use a longer window"),
            )
        )
    counts = np.ones(frequency.size, dtype=np.int64) if weights is None else weights
    customers = int(counts.sum())
    repeaters = frequency > 0
    count = int(counts[repeaters].sum())
    if count < MIN_REPEAT_BUYERS or count < MIN_REPEAT_SHARE * customers:
        out.append(
            FitWarning(
                "few_repeat_buyers",
                f"only {count:,} of {customers:,} customers bought again in the calibration window",
                "use a longer calibration window; with few repeat buyers the model guesses",
            )
        )
    if count:
        cycles = recency[repeaters] / frequency[repeaters]
        cycle = weighted_median(cycles, counts[repeaters])
        window = weighted_median(T, counts)
        if cycle > 0.5 * window:
            out.append(
                FitWarning(
                    "short_window",
                    f"the calibration window (median customer age {window:.3g} time units) is "
                    f"short for the purchase cycle (median {cycle:.3g} between purchases)",
                    "use a calibration window several purchase cycles long",
                )
            )
    return out


def _dropout(model: str, params: dict[str, float]) -> tuple[float, str, tuple[str, str]]:
    """How likely a customer is to drop out before their next purchase, said, and by what.

    BG/NBD and MBG/NBD drop a customer at a purchase with probability a / (a + b).
    Pareto/NBD's dropout runs in time, at a rate with mean s / beta against a purchase
    rate with mean r / alpha: the chance the dropout comes first is their ratio.
    """
    if model == "Pareto/NBD":
        dropping = params["s"] / params["beta"]
        chance = dropping / (dropping + params["r"] / params["alpha"])
        said = "a customer drops out before their next purchase with probability about"
        return chance, said, ("s", "beta")
    a, b = params["a"], params["b"]
    return a / (a + b), "a customer drops out after a purchase with probability", ("a", "b")


def quiet_cycles(
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Time since each customer's last purchase, in their own purchase cycles.

    A repeat buyer's cycle is ``recency / frequency`` (their mean time between
    purchases); a one-time buyer is measured against the median cycle of the
    repeat buyers. NaN where there is no cycle to measure against (no repeat
    buyer at all). ``weights`` counts the customers each row stands for.

    Examples
    --------
    >>> quiet_cycles(np.array([4.0, 0.0]), np.array([8.0, 0.0]), np.array([14.0, 5.0])).tolist()
    [3.0, 2.5]
    """
    repeaters = frequency > 0
    counts = np.ones(frequency.size, dtype=np.int64) if weights is None else weights
    held = repeaters & (counts > 0)
    cycles = recency[held] / frequency[held]
    typical = weighted_median(cycles, counts[held]) if held.any() else 0
    cycle = np.where(
        repeaters,
        np.divide(recency, frequency, out=np.zeros_like(recency), where=repeaters),
        typical,
    )
    quiet = T - recency
    return np.divide(quiet, cycle, out=np.full_like(quiet, np.nan), where=cycle > 0)


#: Quiet for over this many of one's own purchase cycles: a churn risk by silence (overdue).
OVERDUE_CYCLES = 2.0


def overdue(
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    *,
    factor: float = OVERDUE_CYCLES,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Customers quiet for longer than ``factor`` × their own purchase cycle.

    The model-free churn signal predictive segments fall back to, measured by
    :func:`quiet_cycles`. ``weights`` counts the customers each row stands for
    (distinct histories).

    Examples
    --------
    >>> overdue(np.array([4.0, 4.0, 0.0, 0.0]), np.array([8.0, 8.0, 0.0, 0.0]),
    ...         np.array([9.0, 20.0, 3.0, 10.0])).tolist()
    [False, True, False, True]
    """
    quiet = quiet_cycles(frequency, recency, T, weights=weights)
    return np.nan_to_num(quiet, nan=0.0) > factor


def churn_flags(
    p_alive: np.ndarray,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,
    *,
    threshold: float,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Churn risks: P(alive) under ``threshold``, or a one-time buyer gone quiet (:func:`overdue`).

    BG/NBD lets a customer drop out only after a repeat purchase, so it gives every
    one-time buyer P(alive) = 1 however long ago they bought: that is the model's
    assumption, not evidence. On CDNOW at 1998-02-17 they were 54% of the customers,
    and 94% of them bought nothing in the next 19 weeks; by P(alive) alone the churn
    risks bought nothing 84.5% of the time against 80.2% for the rest, with the one-time
    buyers judged by their silence 92.9% against 58.6%. MBG/NBD and Pareto/NBD do give
    one-time buyers a P(alive) below 1, but one purchase says too little for it to flag
    them: on CDNOW (as of 1998-06-30, 19 weeks held out) P(alive) under 0.3 alone made
    2,123 (MBG/NBD) and 5,309 (Pareto/NBD) churn risks, of whom 88% and 93% bought nothing
    in the holdout against 89% and 87% of the unflagged outside the top by past value;
    with the silence rule 14,826 and 14,624, 93% and 94% against 70% and 71%. So every
    model's one-time buyers are judged by their silence too.

    Examples
    --------
    >>> churn_flags(np.array([0.1, 0.9, 1.0, 1.0]), np.array([3.0, 3.0, 0.0, 0.0]),
    ...             np.array([6.0, 6.0, 0.0, 0.0]), np.array([20.0, 7.0, 1.0, 9.0]),
    ...             threshold=0.3).tolist()
    [True, False, False, True]
    """
    quiet = overdue(frequency, recency, T, weights=weights)
    return (np.asarray(p_alive) < threshold) | ((np.asarray(frequency) == 0) & quiet)


def repeat_histogram(model: NewCustomerCounts, summary: Any, *, top: int = 7) -> pl.DataFrame:
    """Customers by repeat purchases in the calibration, actual against the model's expectation.

    Each customer's expected share of each count is their own ``P(X(T_i) = n)``
    (observed for ``T_i``); counts from ``top`` on are pooled into ``"7+"``.

    Examples
    --------
    >>> import segwise as sw
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> table = repeat_histogram(sw.BetaGeoModel().fit(summary), summary, top=3)
    >>> table["purchases"].to_list(), table["actual"].to_list()
    (['0', '1', '2', '3+'], [2, 1, 1, 2])
    """
    x, _, T = purchase_summary(summary)
    weights = row_weights(summary, x.size)
    (distinct_T, inverse) = np.unique(T, return_inverse=True)
    per_T = np.bincount(inverse.ravel(), weights=weights)
    labels, actual, expected = [], [], []
    for n in range(top):
        labels.append(str(n))
        actual.append(round(weights[x == n].sum()))
        expected.append(float((per_T * model.new_customer_pmf(distinct_T, n)).sum()))
    labels.append(f"{top}+")
    actual.append(round(weights[x >= top].sum()))
    expected.append(float(weights.sum() - sum(expected)))
    return pl.DataFrame({"purchases": labels, "actual": actual, "expected": expected})
