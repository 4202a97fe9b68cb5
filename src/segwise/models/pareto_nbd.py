"""Pareto/NBD: purchases while alive at a Gamma-distributed rate, lifetimes exponential.

Schmittlein, Morrison & Colombo (1987): purchase rate λ ~ Gamma(r, α), dropout
rate μ ~ Gamma(s, β). The likelihood has two branches for α ≥ β and α < β
(Fader & Hardie 2005 note); each is evaluated in log space.

References
----------
Schmittlein, D. C., Morrison, D. G., & Colombo, R. (1987). Counting your
customers: Who are they and what will they do next? Management Science, 33(1).
Fader, P. S., & Hardie, B. G. S. (2005). A note on deriving the Pareto/NBD
model and related expressions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import expit, gammaln

from segwise.models.base import PurchaseCountModel, purchase_summary
from segwise.models.hypergeometric import hyp2f1_a_plus_1
from segwise.models.pareto_counts import pareto_count_pmf

PARAMS = ("r", "alpha", "s", "beta")


def _log_a0(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log A0 of the Pareto/NBD likelihood, on the branch the parameters call for."""
    r, alpha, s, beta = params
    total = r + s + x
    if alpha >= beta:
        big, second = alpha, s + 1
        spread = alpha - beta
    else:
        big, second = beta, r + x
        spread = beta - alpha
    early = np.log(hyp2f1_a_plus_1(total, second, spread / (big + t_x))) - total * np.log(big + t_x)
    late = np.log(hyp2f1_a_plus_1(total, second, spread / (big + T))) - total * np.log(big + T)
    # log(e^early - e^late), early >= late since t_x <= T; equal (a -inf term) when t_x == T.
    with np.errstate(divide="ignore"):
        return early + np.log1p(-np.exp(np.minimum(late - early, 0.0)))


def _log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    r, alpha, s, beta = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    dropped = np.log(s) - np.log(r + s + x) + _log_a0(params, x, t_x, T)
    return head + np.logaddexp(alive, dropped)


class ParetoNBDModel(PurchaseCountModel):
    """The Pareto/NBD model, fitted by maximum likelihood on ``rfm_summary`` columns.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters.

    Attributes
    ----------
    params_, standard_errors_ : dict
        ``r, alpha, s, beta`` and their standard errors.
    log_likelihood_ : float
    n_customers_ : int

    Examples
    --------
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> model = ParetoNBDModel().fit(summary)
    >>> sorted(model.params_)
    ['alpha', 'beta', 'r', 's']
    """

    PARAMS = PARAMS
    MODEL = "Pareto/NBD"
    _log_likelihood = staticmethod(_log_likelihood)

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive | frequency, recency, T) for each customer."""
        params = self._fitted()
        r, alpha, s, beta = params
        x, t_x, T = purchase_summary(summary)
        log_odds = (
            np.log(s)
            - np.log(r + s + x)
            + (r + x) * np.log(alpha + T)
            + s * np.log(beta + T)
            + _log_a0(params, x, t_x, T)
        )
        return expit(-log_odds)  # 1 / (1 + e^log_odds), without overflow

    def expected_purchases(self, summary: Any, t: float) -> np.ndarray:
        """E[Y(t) | frequency, recency, T]: purchases in the next ``t`` time units."""
        r, alpha, s, beta = self._fitted()
        x, _t_x, T = purchase_summary(summary)
        rate = (r + x) * (beta + T) / ((alpha + T) * (s - 1))
        return rate * (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) * self.p_alive(summary)

    def expected_purchases_new_customer(self, t: float | np.ndarray) -> np.ndarray:
        """E[X(t)]: repeat purchases a new customer makes in ``t`` (Schmittlein et al. 1987).

        ``r β / (α (s − 1)) · (1 − (β / (β + t))^(s − 1))``: the history-free case of
        ``expected_purchases``, so the cohort's tracking can use Pareto/NBD too.

        Examples
        --------
        >>> model = ParetoNBDModel()
        >>> model.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> new = model.expected_purchases_new_customer(39.0)
        >>> start = {"frequency": [0.0], "recency": [0.0], "T": [0.0]}
        >>> bool(np.isclose(new, model.expected_purchases(start, 39.0)[0]))
        True
        """
        r, alpha, s, beta = self._fitted()
        t = np.asarray(t, dtype=float)
        return r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + t)) ** (s - 1))

    def new_customer_pmf(self, t: float | np.ndarray, n: int) -> np.ndarray:
        """P(X(t) = n): a new customer makes exactly ``n`` repeat purchases in ``t``.

        Examples
        --------
        >>> model = ParetoNBDModel()
        >>> model.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> round(float(model.new_customer_pmf(39.0, 0)), 4)
        0.5936
        """
        r, alpha, s, beta = self._fitted()
        return pareto_count_pmf(r, alpha, s, beta, t, n)

    def probability_of_purchases_given(self, summary: Any, t: float, n: int) -> np.ndarray:
        """P(Y(t) = n | frequency, recency, T): exactly ``n`` purchases in the next ``t``.

        The dead make none; the living go on as new customers with the posterior's
        parameters, Gamma(r + x, α + T) for the rate and Gamma(s, β + T) for dropout
        (:mod:`segwise.models.pareto_counts`).

        Examples
        --------
        >>> model = ParetoNBDModel()
        >>> model.params_ = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        >>> summary = {"frequency": [0, 2, 12], "recency": [0, 30.4, 37], "T": [38.9] * 3}
        >>> total = sum(model.probability_of_purchases_given(summary, 39, n) for n in range(400))
        >>> bool(np.allclose(total, 1))
        True
        """
        r, alpha, s, beta = self._fitted()
        x, _t_x, T = purchase_summary(summary)
        alive = self.p_alive(summary)
        future = pareto_count_pmf(r + x, alpha + T, s, beta + T, t, n)
        return alive * future + (1 - alive) * (n == 0)

    def probability_no_purchase(self, summary: Any, t: float) -> np.ndarray:
        """P(no purchase in the next ``t`` units | frequency, recency, T), per customer."""
        return self.probability_of_purchases_given(summary, t, 0)
