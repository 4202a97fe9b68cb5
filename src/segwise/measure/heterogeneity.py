"""Does the effect differ across segments? Cochran's Q on the per-segment lifts.

Each segment's lift comes with its standard error; if the true effect were the
same everywhere, the lifts would scatter around their precision-weighted mean
by no more than those errors allow. Q is the weighted sum of squared
deviations, chi-square with (segments - 1) degrees of freedom under that null:
the interaction test of subgroup analysis. I² is the share of the scatter
beyond chance.

The caveat belongs with the answer: segments are not randomised, so a
difference says the variant works differently *in* them, not *because* of
what defines them; and with few customers per segment the test has little
power, so "no evidence of a difference" is not evidence of none.

References
----------
Cochran, W. G. (1954). The combination of estimates from different experiments.
*Biometrics* 10, 101–129.
Higgins, J. P. T. & Thompson, S. G. (2002). Quantifying heterogeneity in a
meta-analysis. *Statistics in Medicine* 21, 1539–1558.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import stats

if TYPE_CHECKING:
    from collections.abc import Sequence


@dataclass(frozen=True)
class Heterogeneity:
    """Cochran's Q, its degrees of freedom and p-value, and I² (0 to 1)."""

    q: float
    df: int
    p_value: float
    i_squared: float


def heterogeneity(lifts: Sequence[float], standard_errors: Sequence[float]) -> Heterogeneity:
    """Test whether ``lifts`` (one per segment) differ by more than their errors.

    Segments without a usable lift (NaN, or a zero error) are left out.

    Examples
    --------
    >>> round(heterogeneity([0.01, 0.01, 0.012], [0.004, 0.005, 0.004]).p_value, 2)
    0.93
    >>> heterogeneity([0.0, 0.05], [0.005, 0.005]).p_value < 0.001
    True
    """
    pairs = [
        (lift, se)
        for lift, se in zip(lifts, standard_errors, strict=True)
        if not math.isnan(lift) and se > 0 and not math.isnan(se)
    ]
    if len(pairs) < 2:
        return Heterogeneity(math.nan, 0, math.nan, math.nan)
    weights = [1 / se**2 for _, se in pairs]
    pooled = sum(w * lift for w, (lift, _) in zip(weights, pairs, strict=True)) / sum(weights)
    q = sum(w * (lift - pooled) ** 2 for w, (lift, _) in zip(weights, pairs, strict=True))
    df = len(pairs) - 1
    i_squared = max(0.0, (q - df) / q) if q > 0 else 0.0
    return Heterogeneity(q, df, float(stats.chi2.sf(q, df)), i_squared)
