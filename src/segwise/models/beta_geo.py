"""BG/NBD: who is still alive, and how many purchases they will make.

Fader, Hardie & Lee (2005): while active, a customer buys as a Poisson
process with rate λ ~ Gamma(r, α); after each purchase they drop out with
probability p ~ Beta(a, b).

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). "Counting your customers"
the easy way: An alternative to the Pareto/NBD model. Marketing Science, 24(2), 275-284.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from segwise.exceptions import DataError
from segwise.models.base import DropoutAtPurchaseModel, purchase_summary
from segwise.models.covariates import shifted
from segwise.models.histories import by_count

PARAMS = ("r", "alpha", "a", "b")


def _log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    r, alpha, a, b = params
    by_x = by_count(lambda k: gammaln(r + k) - gammaln(r), x)
    if np.ndim(a) == 0:  # one a for everyone (no dropout covariates): by count too
        by_x = by_x + by_count(lambda k: betaln(a, b + k) - betaln(a, b), x)
    else:
        by_x = by_x + betaln(a, b + x) - betaln(a, b)
    alive, dropped = _alive_and_dropped(params, x, t_x, T)
    return by_x + r * np.log(alpha) + np.logaddexp(alive, dropped)


def _alive_and_dropped(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The log-likelihood's two ways to be: alive at T, or gone after the last purchase."""
    r, alpha, a, b = params
    repeat = x > 0
    alive = -(r + x) * np.log(alpha + T)
    dropped = np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return alive, dropped


def _log_likelihood_gradient(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Each customer's d log L / d(r, α, a, b): shape (4, customers); one parameter set.

    The derivatives of Fader, Hardie & Lee's (2005) likelihood, term by term; the two
    ways of being where the data leave a customer (alive, or dropped after the last
    purchase) enter weighted by their shares of the likelihood.
    """
    r, alpha, a, b = params
    repeat = x > 0
    alive, dropped = _alive_and_dropped(params, x, t_x, T)
    w_dropped = np.exp(dropped - np.logaddexp(alive, dropped))  # 0 without repeats
    w_alive = 1.0 - w_dropped
    d_ab = by_count(lambda k: digamma(a + b) - digamma(a + b + k), x)
    return np.stack(
        [
            by_count(lambda k: digamma(r + k) - digamma(r), x) + np.log(alpha)
            - w_alive * np.log(alpha + T) - w_dropped * np.log(alpha + t_x),
            r / alpha - (r + x) * (w_alive / (alpha + T) + w_dropped / (alpha + t_x)),
            d_ab + w_dropped / a,
            d_ab + by_count(lambda k: digamma(b + k) - digamma(b), x)
            - w_dropped / np.where(repeat, b + x - 1, 1.0),
        ]
    )  # fmt: skip


class BetaGeoModel(DropoutAtPurchaseModel):
    """The BG/NBD model, fitted by maximum likelihood on ``rfm_summary`` columns.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood).
    purchase_covariates, dropout_covariates
        Numeric summary columns (time-invariant: a channel's 0/1 column, a region's)
        that shift each customer's purchase rate (α_i = α exp(−γ'z), so a positive
        coefficient means more purchases) or dropout (a_i = a exp(γ'z), so a positive
        coefficient means earlier dropout), after Fader & Hardie's note 019. The
        columns must also be in the summaries given to the predictions.

    Attributes
    ----------
    params_ : dict
        ``r, alpha, a, b`` (of a customer whose covariates are all 0).
    coefficients_ : dict
        ``purchase:<column>`` and ``dropout:<column>`` coefficients (empty without covariates).
    standard_errors_, confidence_intervals_ : dict
        Of the parameters and coefficients, from the inverse Hessian of the log-likelihood.
    log_likelihood_ : float
        The maximised log-likelihood.
    n_customers_ : int

    Examples
    --------
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> model = BetaGeoModel().fit(summary)
    >>> sorted(model.params_)
    ['a', 'alpha', 'b', 'r']
    """

    PARAMS = PARAMS
    MODEL = "BG/NBD"
    _log_likelihood = staticmethod(_log_likelihood)
    _log_likelihood_gradient = staticmethod(_log_likelihood_gradient)

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        purchase_covariates: tuple[str, ...] | list[str] = (),
        dropout_covariates: tuple[str, ...] | list[str] = (),
    ) -> None:
        super().__init__(penalizer=penalizer)
        self.purchase_covariates = purchase_covariates
        self.dropout_covariates = dropout_covariates

    def _covariate_groups(self) -> dict[str, tuple[str, ...]]:
        return {
            "purchase": tuple(self.purchase_covariates),
            "dropout": tuple(self.dropout_covariates),
        }

    def _individual(
        self, params: np.ndarray, coefficients: np.ndarray, covariates: np.ndarray
    ) -> tuple[Any, ...]:
        r, alpha, a, b = (float(p) for p in params)
        k = len(self.purchase_covariates)
        return (
            r,
            shifted(alpha, covariates[:, :k], -coefficients[:k]),
            shifted(a, covariates[:, k:], coefficients[k:]),
            b,
        )

    def _p(self) -> tuple[float, float, float, float]:
        """The population's parameters (a customer whose covariates are all 0)."""
        r, alpha, a, b = self._fitted()
        return float(r), float(alpha), float(a), float(b)

    def expected_purchases_new_customer(self, t: float | np.ndarray) -> np.ndarray:
        """E[X(t)]: purchases a new customer makes in ``t`` time units (FHL 2005, eq. 9)."""
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))

    def probability_of_purchases(self, t: float, n: int | np.ndarray) -> np.ndarray:
        """P(X(t) = n): a new customer makes exactly ``n`` purchases in ``t`` (FHL 2005, eq. 8).

        Examples
        --------
        >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
        ...            "T": [30, 30, 35, 12, 40, 36]}
        >>> model = BetaGeoModel().fit(summary)
        >>> round(float(model.probability_of_purchases(10, np.arange(200)).sum()), 6)
        1.0
        """
        r, alpha, a, b = self._p()
        n = np.asarray(n, dtype=float)
        if np.any(n < 0) or np.any(n != np.floor(n)):
            raise DataError("n must be whole numbers of purchases, 0 or more")
        share = t / (alpha + t)
        log_nb = (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1)
            + r * np.log(alpha / (alpha + t))
            + n * np.log(share)
        )
        # Σ_{j<n} of the negative-binomial terms, for every n at once.
        top = int(n.max()) if n.size else 0
        j = np.arange(max(top, 1))
        terms = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + j * np.log(share))
        partial = np.concatenate([[0.0], np.cumsum(terms)])[n.astype(int)]
        tail = 1 - (alpha / (alpha + t)) ** r * partial
        # log B(a, b + m) / B(a, b) = Σ_{k<m} log((b + k) / (a + b + k)), summed term by
        # term: the difference of two betaln values cancels catastrophically when a and b
        # are huge (a near-zero dropout fit), and the probabilities stopped summing to 1.
        k = np.arange(top + 1)
        log_ratio = np.concatenate([[0.0], np.cumsum(np.log1p(-a / (a + b + k)))])
        whole = n.astype(int)
        first = np.exp(log_ratio[whole] + log_nb)
        previous = np.maximum(whole - 1, 0)
        second = np.where(
            n > 0,
            np.exp(np.log(a) - np.log(a + b + n - 1) + log_ratio[previous]) * tail,
            0.0,
        )
        return first + second

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive | frequency, recency, T) for each customer (FHL 2005, eq. 12 note)."""
        x, t_x, T = purchase_summary(summary)
        return _p_alive(self._row_params(summary, x.size), x, t_x, T)

    def expected_purchases(self, summary: Any, t: float) -> np.ndarray:
        """E[Y(t) | frequency, recency, T]: purchases in the next ``t`` units (FHL 2005, eq. 10)."""
        x, t_x, T = purchase_summary(summary)
        params = self._row_params(summary, x.size)
        r, alpha, a, b = params
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        with np.errstate(all="ignore"):
            # FHL's (1 - z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) overflows for customers with
            # thousands of purchases; Euler's transformation gives the same value with
            # parameters that do not grow with x, but overflows when a is huge (dropout
            # near zero). Each is used where it is finite.
            direct = (1 - z) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
            far = ~np.isfinite(direct)
            if far.any():
                a_, b_, r_, x_, z_ = (np.broadcast_to(v, far.shape)[far] for v in (a, b, r, x, z))
                direct[far] = (1 - z_) ** (a_ - 1) * hyp2f1(
                    a_ + b_ - 1 - r_, a_ - 1, a_ + b_ + x_ - 1, z_
                )
        body = 1 - direct
        return head * body * _p_alive(params, x, t_x, T)


def _p_alive(params: tuple[Any, ...], x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """P(alive) per row of the given parameters (scalars, or one per row with covariates)."""
    r, alpha, a, b = params
    # In log space: ((alpha + T) / (alpha + t_x)) ** (r + x) overflows for customers
    # with thousands of purchases.
    log_odds = (
        np.log(a)
        - np.log(np.where(x > 0, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    return np.where(x > 0, expit(-log_odds), 1.0)
