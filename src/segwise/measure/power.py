"""How many customers an experiment needs, and which segments have them.

The sample size per arm for a two-sided test at level ``alpha`` to detect an
effect with probability ``power``, by the normal approximation with both tails
counted, as ``statsmodels.stats.power.NormalIndPower().solve_power`` solves it:

- for a share (conversion): the effect is Cohen's h between ``baseline + mde``
  and ``baseline`` (``proportion_effectsize``), the arcsine transform that
  makes a share's variance constant;
- for a mean: Cohen's d, ``mde / standard deviation``.

References
----------
Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*,
2nd ed., ch. 6 (the arcsine effect size h).
"""

from __future__ import annotations

import math

from scipy import optimize, stats


def proportion_effect(treatment: float, control: float) -> float:
    """Cohen's h between two shares: ``2 asin(sqrt(p1)) - 2 asin(sqrt(p2))``."""
    return 2 * math.asin(math.sqrt(treatment)) - 2 * math.asin(math.sqrt(control))


def power_of(effect: float, n_per_arm: float, *, alpha: float = 0.05, ratio: float = 1.0) -> float:
    """The chance a two-sided test of ``n_per_arm`` (control) customers detects ``effect``."""
    crit = float(stats.norm.isf(alpha / 2))
    shift = abs(effect) * math.sqrt(n_per_arm / (1 + 1 / ratio))
    return float(stats.norm.sf(crit - shift) + stats.norm.cdf(-crit - shift))


def sample_size(
    effect: float, *, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> int:
    """Customers needed in the first arm (``ratio`` times as many in the second), rounded up.

    Examples
    --------
    >>> sample_size(proportion_effect(0.06, 0.05))
    8143
    """
    if effect == 0:
        raise ValueError("an effect of 0 cannot be detected: give a non-zero effect")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be between 0 and 1")
    crit = float(stats.norm.isf(alpha / 2))
    # The one-tail answer is a close lower bound; the root with both tails lies just above it.
    guess = ((crit + float(stats.norm.ppf(power))) / abs(effect)) ** 2 * (1 + 1 / ratio)
    low, high = max(guess * 0.5, 1e-9), guess * 2 + 10
    root = optimize.brentq(
        lambda n: power_of(effect, n, alpha=alpha, ratio=ratio) - power, low, high, xtol=1e-10
    )
    return math.ceil(float(root) - 1e-9)
