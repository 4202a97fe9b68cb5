"""Bias-corrected and accelerated (BCa) bootstrap intervals for a mean and a ratio of means.

A segment's revenue in a window is heavy-tailed: most members buy nothing, a
few buy a lot. On a small segment the t interval of its mean then reaches
below zero ("245.64 [-284.89, 776.18]" for 43 customers on Online Retail II),
a range no analyst can use and no non-negative mean can have. The BCa
interval (Efron 1987) resamples the members, so it stays within what the
data allow, and corrects the percentile interval for the bias and skew of
the estimate. The jackknife that gives the acceleration is closed-form for
a mean and a ratio of sums (leave-one-out sums), so it costs O(n), not
O(n²) as a generic jackknife would; the resamples are drawn in batches, so
memory stays bounded.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

#: Resamples per interval. BCa moves the upper quantile far out on skewed revenue (to
#: 0.995 and beyond): with 2,000 resamples its estimate fell 7% short of 20,000's.
RESAMPLES = 4_000
#: Draws generated at once (their indices and values), over as many resamples as fit.
_BATCH_VALUES = 4_000_000


def bca_mean_and_ratio(
    y: np.ndarray, x: np.ndarray, confidence: float = 0.95, *, seed: int = 0
) -> tuple[tuple[float, float], tuple[float, float]]:
    """BCa intervals of ``mean(y)`` and of ``sum(y) / sum(x)`` from the same resamples.

    Members are resampled whole (their ``y`` and ``x`` together): revenue per
    customer and AOV (revenue over orders) of one segment. Each interval is
    (NaN, NaN) below two members, when its denominator is zero, or when no
    resample differs from another.

    Examples
    --------
    >>> revenue = np.array([0.0, 0, 0, 0, 30, 60, 90, 500])
    >>> orders = np.array([0.0, 0, 0, 0, 1, 2, 1, 4])
    >>> (low, high), (aov_low, aov_high) = bca_mean_and_ratio(revenue, orders)
    >>> bool(0 < low < revenue.mean() < high < 500), bool(aov_low < 85 < aov_high)
    (True, True)
    """
    y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
    n = y.size
    if n < 2:
        return (math.nan, math.nan), (math.nan, math.nan)
    sums_y, sums_x = _resampled_sums(y, x, seed)
    ones = np.ones(n)
    mean = _bca(y, ones, sums_y / n, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = _bca(y, x, sums_y / sums_x, confidence)
    return mean, ratio


def _bca(
    y: np.ndarray, x: np.ndarray, replicates: np.ndarray, confidence: float
) -> tuple[float, float]:
    """The BCa interval of ``sum(y) / sum(x)`` given its bootstrap replicates."""
    total_x = x.sum()
    replicates = replicates[np.isfinite(replicates)]
    if total_x <= 0 or replicates.size < RESAMPLES // 2 or np.ptp(replicates) == 0:
        return math.nan, math.nan
    estimate = y.sum() / total_x
    below = (replicates < estimate).mean() + (replicates == estimate).mean() / 2
    bias = float(special.ndtri(np.clip(below, 1 / RESAMPLES, 1 - 1 / RESAMPLES)))
    with np.errstate(divide="ignore", invalid="ignore"):
        left_out = (y.sum() - y) / (total_x - x)  # the jackknife: each member left out
    left_out = left_out[np.isfinite(left_out)]
    spread = left_out.mean() - left_out
    denominator = 6 * float((spread**2).sum()) ** 1.5
    acceleration = float((spread**3).sum()) / denominator if denominator > 0 else 0.0
    z = float(special.ndtri(0.5 + confidence / 2))
    levels = []
    for tail in (-z, z):
        shifted = bias + tail
        levels.append(float(special.ndtr(bias + shifted / (1 - acceleration * shifted))))
    low, high = np.quantile(replicates, levels)
    return float(low), float(high)


def _resampled_sums(y: np.ndarray, x: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``RESAMPLES`` sums of ``y`` and of ``x`` over ``n`` members drawn with replacement.

    Members whose ``y`` and ``x`` are both zero add nothing to a sum, and most
    members of a window buy nothing: of a resample's ``n`` draws, the number that
    land on the others is binomial, and those draws are uniform among them. So
    only they are drawn (exactly the same distribution), one flat array of draws
    per batch of resamples, summed resample by resample (``np.add.reduceat``).
    """
    rng = np.random.default_rng(seed)
    n = y.size
    moving = np.flatnonzero((y != 0) | (x != 0))
    sums_y, sums_x = np.zeros(RESAMPLES), np.zeros(RESAMPLES)
    if moving.size == 0:
        return sums_y, sums_x
    y, x = y[moving], x[moving]
    drawn = rng.binomial(n, moving.size / n, size=RESAMPLES)
    ends = np.cumsum(drawn)
    start = 0
    while start < RESAMPLES:
        # As many resamples as fit in one batch of draws (at least one).
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + _BATCH_VALUES, side="right")))
        counts = drawn[start:stop]
        picked = rng.integers(0, moving.size, size=int(counts.sum()), dtype=np.int32)
        firsts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        some = counts > 0  # reduceat reads an empty resample's first draw: skip them
        if picked.size:
            sums_y[start:stop][some] = np.add.reduceat(y[picked], firsts[some])
            sums_x[start:stop][some] = np.add.reduceat(x[picked], firsts[some])
        start = stop
    return sums_y, sums_x
