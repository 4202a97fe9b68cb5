"""Sample-ratio mismatch: whether customers were split between variants as designed.

A 50/50 test that ends 52/48 on 20,000 customers did not assign at random (a
redirect that loses some, a bot filter applied to one arm, a bug in who gets
logged): its comparisons are not to be trusted, whatever they say. The check is
Pearson's chi-square goodness of fit of the observed counts against the
design's shares, flagged below p = 0.001 as the experimentation platforms do
(a stricter level than the tests', because it runs on every experiment).

References
----------
Fabijan, A. et al. (2019). Diagnosing sample ratio mismatch in online controlled
experiments. *KDD '19*, 2156–2164.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from scipy import stats

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Below this p-value the split is flagged.
SRM_ALPHA = 0.001


@dataclass(frozen=True)
class RatioCheck:
    """The chi-square statistic and p-value of the observed split against the design."""

    statistic: float
    p_value: float
    flagged: bool


def sample_ratio(observed: Sequence[int], shares: Sequence[float]) -> RatioCheck:
    """Check ``observed`` counts per variant against the design's ``shares`` (any scale).

    Examples
    --------
    >>> sample_ratio([10_400, 9_600], [50, 50]).flagged
    True
    >>> sample_ratio([10_050, 9_950], [50, 50]).flagged
    False
    """
    if len(observed) != len(shares) or len(observed) < 2:
        raise ValueError("give one count and one share per variant, at least two")
    if any(share <= 0 for share in shares):
        raise ValueError("every variant's share must be above 0")
    total, weight = sum(observed), sum(shares)
    expected = [total * share / weight for share in shares]
    result = stats.chisquare(list(observed), expected)
    p_value = float(result.pvalue)
    return RatioCheck(float(result.statistic), p_value, p_value < SRM_ALPHA)
