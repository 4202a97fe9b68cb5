"""Gamma-Gamma: the expected value of a customer's future purchases.

Fader, Hardie & Lee (2005b): purchase values vary around a customer's mean
ζ ~ InverseGamma-like via ν ~ Gamma(q, v), transaction values ~ Gamma(p, ν),
independent of the purchase process.

References
----------
Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). RFM and CLV: Using
iso-value curves for customer base analysis. Journal of Marketing Research, 42(4).
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np
from scipy.special import digamma, gammaln

from segwise.exceptions import DataError
from segwise.models.base import MaximumLikelihoodModel, row_weights, summary_arrays
from segwise.models.covariates import coefficient_names, covariate_matrix, shifted
from segwise.models.histories import by_count

PARAMS = ("p", "q", "v")


class GammaGammaModel(MaximumLikelihoodModel):
    """The Gamma-Gamma spend model, fitted on repeat customers' mean repeat value.

    Parameters
    ----------
    penalizer
        L2 penalty on the parameters.
    q_above_one
        Constrain q > 1, so the population's mean spend ``p v / (q - 1)`` exists (an
        unconstrained fit can land below 1 on heavy-tailed spend).
    spend_covariates
        Numeric summary columns (time-invariant) that shift each customer's scale,
        v_i = v exp(γ'z): the mean spend per purchase scales by exp(γ) per unit, so a
        positive coefficient means larger orders. The columns must also be in the
        summaries given to ``expected_average_value``.

    Attributes
    ----------
    params_ : dict
        ``p, q, v`` (``v`` of a customer whose covariates are all 0).
    coefficients_ : dict
        ``spend:<column>`` coefficients (empty without covariates).
    standard_errors_, confidence_intervals_ : dict
        Of the parameters and coefficients.
    log_likelihood_ : float
    n_customers_ : int
        Repeat customers the model was fitted on.

    Examples
    --------
    >>> summary = {"frequency": [1, 2, 4, 1, 3], "monetary_value": [20.0, 35.5, 12.0, 60.0, 25.0]}
    >>> GammaGammaModel().fit(summary).n_customers_
    5
    """

    PARAMS = PARAMS
    MODEL = "Gamma-Gamma"

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        q_above_one: bool = False,
        spend_covariates: tuple[str, ...] | list[str] = (),
    ) -> None:
        super().__init__(penalizer=penalizer)
        self.q_above_one = q_above_one
        self.spend_covariates = spend_covariates

    def _covariate_groups(self) -> dict[str, tuple[str, ...]]:
        return {"spend": tuple(self.spend_covariates)}

    def _optimised_shift(self) -> np.ndarray:
        return np.array([0.0, 1.0 if self.q_above_one else 0.0, 0.0])

    def fit(self, summary: Any, y: Any = None) -> Self:
        """Fit on ``frequency, monetary_value``; customers without repeat purchases are left out.

        A ``weights`` column counts the customers each row stands for.
        """
        del y
        x, m = summary_arrays(summary, ["frequency", "monetary_value"])
        weights = row_weights(summary, x.size)
        repeat = (x > 0) & (weights > 0)
        if not np.any(repeat):
            raise DataError(
                "no customer has a repeat purchase", hint="Gamma-Gamma needs repeat buyers"
            )
        if np.any(unpaid := repeat & (m <= 0)):
            row, others = int(np.argmax(unpaid)), int(np.sum(unpaid)) - 1
            more = f" ({others} more like it)" if others else ""
            raise DataError(
                f"row {row + 1} is a repeat customer with a mean spend of {m[row]:g}{more}",
                column="monetary_value",
                hint="Gamma-Gamma needs positive spend: fit it on the customers who spent "
                "(monetary_value > 0)",
            )
        covariates = covariate_matrix(summary, list(self.spend_covariates), x.size)[repeat]
        x, m, weights = x[repeat], m[repeat], weights[repeat]
        shift = 1.0 if self.q_above_one else 0.0

        # What every evaluation reuses (the optimiser evaluates 30-100 times).
        log_m, log_x, spent = np.log(m), np.log(x), x * m

        def negative(params: np.ndarray) -> float:
            p, q = params[0], params[1] + shift  # optimised: q - 1 when above one
            v = shifted(params[2], covariates, params[3:])
            px = p * x
            ll = (
                by_count(lambda k: gammaln(p * k + q) - gammaln(p * k), x)
                - gammaln(q)
                + q * np.log(v)
                + (px - 1) * log_m
                + px * log_x
                - (px + q) * np.log(spent + v)
            )
            return float(-(weights * ll).sum())

        def gradient(params: np.ndarray) -> np.ndarray:
            # d(-log L)/d(p, q, v) without covariates, term by term of ``negative``.
            p, q, v = params[0], params[1] + shift, params[2]
            px = p * x
            shared = by_count(lambda k: digamma(p * k + q), x) - np.log(spent + v)
            return -np.array(
                [
                    weights
                    @ (x * (shared - by_count(lambda k: digamma(p * k), x) + log_m + log_x)),
                    weights @ (shared - digamma(q) + np.log(v)),
                    weights @ (q / v - (px + q) / (spent + v)),
                ]
            )

        names = coefficient_names(self._covariate_groups())
        self._maximise(negative, int(weights.sum()), names, None if names else gradient)
        self.params_["q"] += shift
        return self

    def expected_average_value(self, summary: Any) -> np.ndarray:
        """E[M | frequency, monetary_value]: each customer's expected value per purchase.

        Customers without repeats get the population mean ``p v / (q - 1)``.
        """
        p, q, v = self._fitted()
        x, m = summary_arrays(summary, ["frequency", "monetary_value"])
        covariates = covariate_matrix(summary, list(self.spend_covariates), x.size)
        coefficients = getattr(self, "coefficients_", {})  # parameters set by hand: none
        v = shifted(v, covariates, np.array(list(coefficients.values())))
        return (p * (v + x * m)) / (p * x + q - 1)
