"""BG/BB: discrete-time repeat behaviour, for donations, renewals and yearly events.

Fader, Hardie & Shang (2010): at each of ``n`` transaction opportunities a
customer, while alive, transacts with probability p ~ Beta(α, β), and after
each opportunity dies with probability θ ~ Beta(γ, δ). A customer is
summarised by ``frequency`` (x, repeat transactions), ``recency`` (t_x, the
opportunity of the last one) and ``n_periods`` (n, opportunities observed);
customers with the same summary are one row with ``weights`` (their count),
which is how the model's data is usually published.

References
----------
Fader, P. S., Hardie, B. G. S., & Shang, J. (2010). Customer-base analysis in a
discrete-time noncontractual setting. Marketing Science, 29(6), 1086-1108.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.special import betaln, digamma, gammaln

from segwise.engine.frames import to_lazy
from segwise.exceptions import DataError
from segwise.models.base import MaximumLikelihoodModel, summary_arrays


def _log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    alpha, beta, gamma, delta = params
    alive = _alive_term(params, x, n, n)
    terms = [alive]
    gap = (n - t_x).astype(int)
    for i in range(int(gap.max(initial=0))):
        # Died after the opportunity t_x + i (alive until then, no transaction since t_x).
        died = (
            betaln(alpha + x, beta + t_x - x + i)
            - betaln(alpha, beta)
            + betaln(gamma + 1, delta + t_x + i)
            - betaln(gamma, delta)
        )
        terms.append(np.where(i < gap, died, -np.inf))
    return np.logaddexp.reduce(np.vstack(terms), axis=0)


def _alive_term(params: np.ndarray, x: np.ndarray, n: np.ndarray, survived: Any) -> np.ndarray:
    """Log P(x transactions in n opportunities and alive through ``survived`` opportunities)."""
    alpha, beta, gamma, delta = params
    return (
        betaln(alpha + x, beta + n - x)
        - betaln(alpha, beta)
        + betaln(gamma, delta + survived)
        - betaln(gamma, delta)
    )


def opportunity_summary(summary: Any) -> tuple[np.ndarray, ...]:
    """``frequency, recency, n_periods`` and ``weights`` (ones when absent), checked.

    ``periods`` is read when there is no ``n_periods`` (lifetimes' name).
    """
    names = summary.keys() if isinstance(summary, dict) else to_lazy(summary).collect_schema()
    opportunities = "n_periods" if "n_periods" in names or "periods" not in names else "periods"
    columns = ["frequency", "recency", opportunities]
    missing = [c for c in columns if c not in names]
    if missing:
        raise DataError(
            f"the summary lacks the column(s) {', '.join(missing)}",
            hint="give frequency, recency and n_periods (the opportunities observed) per row",
        )
    x, t_x, n = summary_arrays(summary, columns)
    weights = summary_arrays(summary, ["weights"])[0] if "weights" in names else np.ones_like(x)
    problems = [
        (x != np.floor(x), "frequency", "frequency {x:g} is not a whole number"),
        (n != np.floor(n), opportunities, "{n:g} opportunities is not a whole number"),
        ((x == 0) & (t_x > 0), "recency", "frequency is 0 but recency is {t:g} (it must be 0)"),
        ((x > 0) & (t_x < x), "recency", "recency {t:g} is before the {x:g}th transaction"),
        (t_x > n, "recency", "recency {t:g} is beyond the {n:g} opportunities"),
    ]
    for bad, column, text in problems:
        if np.any(bad):
            row = int(np.argmax(bad))
            raise DataError(
                f"row {row + 1}: " + text.format(x=x[row], t=t_x[row], n=n[row]),
                column=column,
                hint="one row per customer (or per distinct summary, with weights)",
            )
    return x, t_x, n, weights


class BetaGeoBetaBinomModel(MaximumLikelihoodModel):
    """The BG/BB model, fitted by maximum likelihood on ``frequency, recency, n_periods``.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : dict
        ``alpha, beta`` (transaction probability), ``gamma, delta`` (dropout probability).
    standard_errors_ : dict
    log_likelihood_ : float
    n_customers_ : int
        Customers (the sum of the weights).

    Examples
    --------
    >>> import segwise as sw
    >>> table = {"frequency": [0, 1, 3, 6], "recency": [0, 1, 5, 6], "n_periods": [6] * 4,
    ...          "weights": [3464, 1091, 226, 1203]}
    >>> model = sw.BetaGeoBetaBinomModel().fit(table)
    >>> sorted(model.params_)
    ['alpha', 'beta', 'delta', 'gamma']
    >>> bool(model.p_alive(table)[3] > model.p_alive(table)[2])
    True
    """

    PARAMS = ("alpha", "beta", "gamma", "delta")
    MODEL = "BG/BB"

    def fit(self, summary: Any, y: Any = None) -> Self:
        """Fit on ``frequency, recency, n_periods`` (and ``weights``: customers per row)."""
        del y
        x, t_x, n, weights = opportunity_summary(summary)
        if not np.any((x > 0) & (weights > 0)):
            raise DataError(
                "nobody transacted again: the BG/BB model cannot be fitted",
                hint="observe more opportunities",
            )

        def negative(params: np.ndarray) -> float:
            return float(-(weights * _log_likelihood(params, x, t_x, n)).sum())

        self._maximise(negative, int(weights.sum()))
        return self

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive at the next opportunity | x, t_x, n), per row of ``summary``."""
        params = self._fitted()
        x, t_x, n, _ = opportunity_summary(summary)
        alive = _alive_term(params, x, n, n + 1)
        return np.exp(alive - _log_likelihood(params, x, t_x, n))

    def expected_purchases(self, summary: Any, future: int) -> np.ndarray:
        """Expected transactions in the next ``future`` opportunities, per row."""
        params = self._fitted()
        alpha, beta, gamma, delta = params
        x, t_x, n, _ = opportunity_summary(summary)
        log_scale = (
            betaln(alpha + x + 1, beta + n - x)
            - betaln(alpha, beta)
            - _log_likelihood(params, x, t_x, n)
            + gammaln(gamma + delta)
            - gammaln(1 + delta)
        )
        return np.exp(log_scale) * delta * _decay_per_gamma(delta, gamma, n, n + future)

    def expected_purchases_new_customer(self, opportunities: Any) -> np.ndarray:
        """E[X(n)]: transactions of a new customer in their first ``opportunities``."""
        alpha, beta, gamma, delta = self._fitted()
        n = np.asarray(opportunities, dtype=float)
        per_gamma = _decay_per_gamma(delta, gamma, 0, n) / _gamma_ratio(delta, gamma, 0)
        return alpha / (alpha + beta) * delta * per_gamma


def _decay_per_gamma(delta: float, gamma: float, start: Any, stop: Any) -> np.ndarray:
    """(Γ(1+δ+start)/Γ(γ+δ+start) − Γ(1+δ+stop)/Γ(γ+δ+stop)) / (γ − 1), γ = 1 included.

    At γ = 1 both ratios are 1 and the quotient is 0/0; its limit is
    ψ(1+δ+stop) − ψ(1+δ+start), used within 1e-7 of it (the direct form would
    divide rounding noise by almost nothing).
    """
    start, stop = np.asarray(start, dtype=float), np.asarray(stop, dtype=float)
    if abs(gamma - 1) < 1e-7:
        return np.asarray(digamma(1 + delta + stop) - digamma(1 + delta + start))
    return (_gamma_ratio(delta, gamma, start) - _gamma_ratio(delta, gamma, stop)) / (gamma - 1)


def _gamma_ratio(delta: float, gamma: float, n: Any) -> np.ndarray:
    """Γ(1 + δ + n) / Γ(γ + δ + n)."""
    n = np.asarray(n, dtype=float)
    return np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n))
