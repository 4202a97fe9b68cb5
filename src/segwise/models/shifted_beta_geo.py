"""sBG: contractual retention, from how many of a cohort are still subscribed each period.

Fader & Hardie (2007): each customer renews every period with a constant
probability 1 - θ until they cancel, and θ varies across customers as
Beta(α, β). The mixture makes the cohort's retention rate rise with tenure
(the customers likely to cancel leave first), which is why a constant-rate
projection underestimates who will still be there.

- P(T = t) = B(α + 1, β + t - 1) / B(α, β): cancels in period t (t = 1, 2, …);
- S(t) = B(α, β + t) / B(α, β): still a customer after t periods;
- r(t) = (β + t - 1) / (α + β + t - 1): the retention rate from period t - 1 to t.

The likelihood of a cohort observed for n periods counts the customers lost
in each period and the survivors at its end.

References
----------
Fader, P. S., & Hardie, B. G. S. (2007). How to project customer retention.
Journal of Interactive Marketing, 21(1), 76-90.
Fader, P. S., & Hardie, B. G. S. (2010). Customer-base valuation in a contractual
setting: the perils of ignoring heterogeneity. Marketing Science, 29(1), 85-93.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.special import betaln, hyp2f1

from segwise.exceptions import DataError
from segwise.models.base import MaximumLikelihoodModel


def _log_likelihood(params: np.ndarray, alive: np.ndarray) -> float:
    alpha, beta = params
    periods = np.arange(1, alive.size)
    lost = alive[:-1] - alive[1:]
    cancelled = betaln(alpha + 1, beta + periods - 1) - betaln(alpha, beta)
    surviving = betaln(alpha, beta + periods[-1]) - betaln(alpha, beta)
    return float(np.sum(lost * cancelled) + alive[-1] * surviving)


def alive_counts(counts: Any) -> np.ndarray:
    """A cohort's survivors per period, checked: whole, non-negative, never growing."""
    alive = np.asarray(list(counts) if not isinstance(counts, np.ndarray) else counts, float)
    if alive.ndim != 1 or alive.size < 2:
        raise DataError(
            "the sBG model needs the cohort's size and its survivors after at least one period",
            hint="pass alive_counts like [1000, 869, 743]: alive_counts[0] is the cohort size",
        )
    problems = [
        (~np.isfinite(alive) | (alive < 0), "is not a count of customers"),
        (alive != np.floor(alive), "is not a whole number of customers"),
    ]
    for bad, text in problems:
        if np.any(bad):
            period = int(np.argmax(bad))
            raise DataError(f"period {period}: {alive[period]:g} {text}")
    if alive[0] <= 0:
        raise DataError("period 0: the cohort is empty", hint="alive_counts[0] is its size")
    grew = np.diff(alive) > 0
    if np.any(grew):
        period = int(np.argmax(grew)) + 1
        raise DataError(
            f"period {period}: {alive[period]:g} alive after {alive[period - 1]:g} the period "
            "before; a cohort only shrinks",
            hint="count the survivors of one starting cohort, not the active customers",
        )
    return alive


class ShiftedBetaGeoModel(MaximumLikelihoodModel):
    """The shifted-beta-geometric (sBG) retention model of one cohort.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters (0: plain maximum likelihood).

    Attributes
    ----------
    params_ : dict
        ``alpha, beta`` of the Beta distribution of the cancellation probability.
    standard_errors_ : dict
        From the inverse Hessian of the log-likelihood.
    log_likelihood_ : float
    n_customers_ : int
        The cohort's size.

    Examples
    --------
    >>> import segwise as sw
    >>> model = sw.ShiftedBetaGeoModel().fit([1000, 869, 743, 653, 593, 551, 517, 491])
    >>> {k: round(v, 3) for k, v in model.params_.items()}
    {'alpha': 0.668, 'beta': 3.806}
    >>> [round(float(s) * 1000) for s in model.survival([8, 9, 10])]
    [460, 436, 414]
    """

    PARAMS = ("alpha", "beta")
    MODEL = "sBG"

    def fit(self, alive: Any, y: Any = None) -> Self:
        """Fit on a cohort's survivors per period (``alive[0]``: its size)."""
        del y
        alive = alive_counts(alive)
        if alive[-1] == alive[0]:
            raise DataError(
                "nobody in the cohort cancelled: the sBG model cannot be fitted",
                hint="observe the cohort for more periods",
            )
        self._maximise(lambda params: -_log_likelihood(params, alive), int(alive[0]))
        return self

    def survival(self, periods: Any) -> np.ndarray:
        """S(t): the share of the cohort still a customer after ``t`` periods."""
        alpha, beta = self._fitted()
        t = np.asarray(periods, dtype=float)
        return np.exp(betaln(alpha, beta + t) - betaln(alpha, beta))

    def churn_probability(self, periods: Any) -> np.ndarray:
        """P(T = t): the share of the cohort that cancels in period ``t`` (t ≥ 1)."""
        alpha, beta = self._fitted()
        t = np.asarray(periods, dtype=float)
        return np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta))

    def retention_rate(self, periods: Any) -> np.ndarray:
        """r(t) = S(t) / S(t - 1): the share of those there at ``t - 1`` who renew (t ≥ 1)."""
        alpha, beta = self._fitted()
        t = np.asarray(periods, dtype=float)
        return (beta + t - 1) / (alpha + beta + t - 1)

    def expected_survivors(self, periods: int, cohort_size: float | None = None) -> np.ndarray:
        """Customers of the cohort expected at periods 0 … ``periods`` (the fitted size)."""
        size = self.n_customers_ if cohort_size is None else cohort_size
        return size * self.survival(np.arange(periods + 1))

    def discounted_residual_lifetime(self, renewals: int, discount: float) -> float:
        """DERL: expected discounted future payments of a customer with ``renewals`` so far.

        Payments come at the start of each period, the next one counted in full,
        later ones discounted by ``discount`` per period (Fader & Hardie 2010, eq. 6).
        Multiply by the revenue per period for the residual value of a customer.
        """
        if discount <= 0:
            raise DataError(f"discount must be above 0, not {discount}")
        alpha, beta = self._fitted()
        n = renewals + 1
        ratio = (beta + n - 1) / (alpha + beta + n - 1)
        return float(ratio * hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + discount)))
