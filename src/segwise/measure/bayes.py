"""A Bayesian readout beside the tests: the chance the variant beats control, and the risk.

- Shares: each arm's conversion has a Beta(1 + converted, 1 + not converted)
  posterior (a uniform prior). ``P(B > A) = ∫ f_A(p) (1 - F_B(p)) dp``, and
  the expected loss of choosing B, ``E[max(A - B, 0)]``, integrates over A's
  posterior the closed form of ``E[max(a - B, 0)] = a F_B(a) - E[B] F_B'(a)``
  (``F_B'`` the CDF of Beta(α_B + 1, β_B)); one numerical integral each.
- Means and ratios: the lift's normal approximation (a flat prior),
  ``δ ~ N(lift, se²)``: ``P(δ > 0) = Φ(lift / se)`` and the expected loss
  ``se φ(lift / se) - lift Φ(-lift / se)``.

Expected loss is in the metric's own units (conversion: a share), the usual
stopping rule being "ship when it is below what you are willing to lose".

References
----------
Stucchio, C. (2015). Bayesian A/B testing at VWO (the expected-loss criterion).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import integrate, special, stats

if TYPE_CHECKING:
    from segwise.measure.comparisons import Comparison


@dataclass(frozen=True)
class BayesReadout:
    """The posterior chance the variant beats control, and the expected loss of choosing it."""

    prob_beat_control: float
    expected_loss: float


def beta_binomial(control_successes: int, control_n: int, successes: int, n: int) -> BayesReadout:
    """Beta(1, 1) priors on both arms' conversion.

    Examples
    --------
    >>> found = beta_binomial(100, 1_000, 130, 1_000)
    >>> round(found.prob_beat_control, 3)
    0.982
    """
    a = stats.beta(1 + control_successes, 1 + control_n - control_successes)
    b = stats.beta(1 + successes, 1 + n - successes)
    alpha_b, beta_b = 1 + successes, 1 + n - successes
    b_shifted = stats.beta(alpha_b + 1, beta_b)
    mean_b = alpha_b / (alpha_b + beta_b)
    low, high = a.ppf(1e-12), a.ppf(1 - 1e-12)
    points = [a.mean()]
    beats = integrate.quad(lambda p: a.pdf(p) * b.sf(p), low, high, points=points, limit=200)[0]
    loss = integrate.quad(
        lambda p: a.pdf(p) * (p * b.cdf(p) - mean_b * b_shifted.cdf(p)),
        low,
        high,
        points=points,
        limit=200,
    )[0]
    return BayesReadout(min(max(beats, 0.0), 1.0), max(loss, 0.0))


def normal(lift: float, standard_error: float) -> BayesReadout:
    """The lift's normal posterior (flat prior): a mean or a ratio metric."""
    if not standard_error > 0 or math.isnan(lift):
        return BayesReadout(math.nan, math.nan)
    z = lift / standard_error
    beats = float(special.ndtr(z))
    loss = standard_error * float(stats.norm.pdf(z)) - lift * float(special.ndtr(-z))
    return BayesReadout(beats, max(loss, 0.0))


def readout_of(comparison: Comparison) -> BayesReadout:
    """The Bayesian readout of one comparison, by its kind."""
    if comparison.kind == "binary":
        return beta_binomial(
            round(comparison.control_mean * comparison.control_n),
            comparison.control_n,
            round(comparison.mean * comparison.n),
            comparison.n,
        )
    return normal(comparison.lift, comparison.standard_error)
