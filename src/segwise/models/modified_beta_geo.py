"""MBG/NBD: BG/NBD where a customer may also leave right after their first purchase.

Batislam, Denizel & Filiztekin (2007): as BG/NBD, purchases come as a Poisson
process with rate λ ~ Gamma(r, α) and a customer drops out with probability
p ~ Beta(a, b), but the coin is tossed at time zero too, after the first
purchase, not only after each repeat one. A customer who never came back is
then not certainly alive (BG/NBD says they are), which is the better story
for one-off buyers.

References
----------
Batislam, E. P., Denizel, M., & Filiztekin, A. (2007). Empirical validation and
comparison of models for customer base analysis. International Journal of Research
in Marketing, 24(3), 201-209.
Wagner, U., & Hoppe, D. (2008). Erratum on the MBG/NBD model. International Journal
of Research in Marketing, 25(3), 225-226.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from segwise.models.base import DropoutAtPurchaseModel, purchase_summary


def _log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    r, alpha, a, b = params
    common = (
        gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        + betaln(a, b + x + 1) - betaln(a, b)
        - (r + x) * np.log(alpha + T)
    )  # fmt: skip
    return common + np.logaddexp(0.0, _log_dropped_odds(params, x, t_x, T))


def _log_dropped_odds(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Log of P(dropped out after the last purchase) / P(alive), given the history."""
    r, alpha, a, b = params
    return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))


def _log_likelihood_gradient(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Each customer's d log L / d(r, α, a, b): shape (4, customers); one parameter set.

    Batislam et al.'s (2007) likelihood differentiated term by term: the common part,
    plus log(1 + odds) whose derivative weighs the odds' own by the share of the
    likelihood in which the customer dropped out after the last purchase.
    """
    r, alpha, a, b = params
    dropped = expit(_log_dropped_odds(params, x, t_x, T))
    log_ages = np.log(alpha + T) - np.log(alpha + t_x)
    d_ab = digamma(a + b) - digamma(a + b + x + 1)
    return np.stack(
        [
            digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T)
            + dropped * log_ages,
            r / alpha - (r + x) / (alpha + T)
            + dropped * (r + x) * (1 / (alpha + T) - 1 / (alpha + t_x)),
            d_ab + dropped / a,
            d_ab + digamma(b + x + 1) - digamma(b) - dropped / (b + x),
        ]
    )  # fmt: skip


class ModifiedBetaGeoModel(DropoutAtPurchaseModel):
    """The MBG/NBD model, fitted by maximum likelihood on ``rfm_summary`` columns.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : dict
        ``r, alpha`` (purchase rate), ``a, b`` (dropout probability).
    standard_errors_ : dict
    log_likelihood_ : float
    n_customers_ : int

    Examples
    --------
    >>> summary = {"frequency": [0, 1, 3, 0, 2, 5], "recency": [0, 5, 20, 0, 9, 30],
    ...            "T": [30, 30, 35, 12, 40, 36]}
    >>> model = ModifiedBetaGeoModel().fit(summary)
    >>> bool(model.p_alive(summary)[0] < 1)  # one purchase, never back: maybe gone
    True
    """

    PARAMS = ("r", "alpha", "a", "b")
    MODEL = "MBG/NBD"
    EXTRA_TOSSES = 1
    _log_likelihood = staticmethod(_log_likelihood)
    _log_likelihood_gradient = staticmethod(_log_likelihood_gradient)

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive | frequency, recency, T) for each customer."""
        x, t_x, T = purchase_summary(summary)
        return expit(-_log_dropped_odds(self._fitted(), x, t_x, T))

    def expected_purchases(self, summary: Any, t: float) -> np.ndarray:
        """E[Y(t) | frequency, recency, T]: purchases in the next ``t`` units."""
        r, alpha, a, b = self._fitted()
        x, t_x, T = purchase_summary(summary)
        z = t / (alpha + T + t)
        with np.errstate(all="ignore"):
            remaining = 1 - (1 - z) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, z)
        head = (a + b + x) / (a - 1)
        return head * remaining * self.p_alive({"frequency": x, "recency": t_x, "T": T})

    def expected_purchases_new_customer(self, t: float | np.ndarray) -> np.ndarray:
        """E[X(t)]: repeat purchases a new customer makes in ``t`` time units."""
        r, alpha, a, b = self._fitted()
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, z))
