"""Whether propensity tiers mean what their names say: sized as asked, and told apart.

A tier is worth its name only if it behaved differently from the next one on the
window the model never saw. On CDNOW's closed cohort (churn in 90 days, 86% of
customers churned) the top 60% by score all churned at 96-97%: "High churn risk"
and "Medium churn risk" churned alike (96.8% and 96.9%), and a campaign that
treats them differently acts on noise. Two adjacent tiers are *told apart* when
the upper one's rate is higher by a two-proportion z-test at the 5% level and by a
material margin (:data:`MATERIAL`), read on the rate or, for common outcomes, on its
complement (3% against 8% still buying is a real difference at 97% against 92%).

Equal scores share a tier (:func:`segwise.models.tiers.tier_index`), and a
calibrated probability takes few values, so a tier can come out far from the share
asked for it: on the same data the top 20% came out as 7%, 10,696 customers sharing
one score at the cut. Both are said, so the user does not plan on a split that
is not there.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The least ratio between adjacent tiers' rates (or their complements') that counts.
MATERIAL = 1.1
#: Two-sided 5%: the z a difference in rates must reach.
Z_SIGNIFICANT = 1.96
#: A tier holding under half, or over 1.5 times, the share asked for it is said.
OFF_SHARE = 0.5
#: The outcome's verb in the past, for the named outcomes.
DID = {"churn": "churned", "purchase": "bought"}


def did(outcome: str) -> str:
    """What a customer with the outcome did, in words ("churned", "bought", "had the outcome")."""
    return DID.get(outcome, "had the outcome")


def unseparated_tiers(tiers: Sequence[dict[str, Any]], outcome: str) -> list[str]:
    """Notes on adjacent backtest tiers (best first) that behaved alike or the wrong way round.

    ``tiers`` as :func:`segwise.models.propensity_backtest.tier_rates` gives them:
    ``segment``, ``customers``, ``rate``.

    Examples
    --------
    >>> tiers = [{"segment": "High", "customers": 2527, "rate": 0.968},
    ...          {"segment": "Medium", "customers": 9000, "rate": 0.969},
    ...          {"segment": "Low", "customers": 12043, "rate": 0.756}]
    >>> unseparated_tiers(tiers, "churn")  # doctest: +ELLIPSIS
    ['High and Medium churned alike in the backtest (96.8% and 96.9%)...']
    """
    notes = []
    for upper, lower in itertools.pairwise(tiers):
        z = _z(upper, lower)
        if z <= -Z_SIGNIFICANT:
            notes.append(
                f"{lower['segment']} {did(outcome)} more often than {upper['segment']} in the "
                f"backtest ({_rate(lower)} against {_rate(upper)}): the score ranks them the "
                "wrong way round, so do not act on the difference"
            )
        elif z < Z_SIGNIFICANT or not _material(upper["rate"], lower["rate"]):
            notes.append(
                f"{upper['segment']} and {lower['segment']} {did(outcome)} alike in the backtest "
                f"({_rate(upper)} and {_rate(lower)}): the score does not tell them apart, so "
                "treat them as one tier, or set other tier shares"
            )
    return notes


def off_share_tiers(
    scores: np.ndarray, tier: np.ndarray, names: Sequence[str], shares: Sequence[float]
) -> list[str]:
    """A note when ties at a cut left a tier far from the share asked for it ([] otherwise).

    ``tier`` is each score's tier index (0 the best), ``shares`` the cumulative shares
    of the top tiers, as :func:`segwise.models.tiers.tier_index` takes them.

    Examples
    --------
    >>> scores = np.array([0.9] + [0.5] * 8 + [0.1])
    >>> tier = np.array([0] + [1] * 8 + [2])
    >>> off_share_tiers(scores, tier, ["High", "Medium", "Low"], [0.2, 0.5])  # doctest: +ELLIPSIS
    ['Medium holds 80% of customers, not the 30% asked; Low 10%, not 50%: 8 customers share ...']
    """
    n = len(scores)
    if n == 0:
        return []
    bounds = [0.0, *shares, 1.0]
    asked = [bounds[k + 1] - bounds[k] for k in range(len(names))]
    held = [float(np.mean(tier == k)) for k in range(len(names))]
    off = [k for k in range(len(names)) if abs(held[k] - asked[k]) > OFF_SHARE * asked[k]]
    if not off:
        return []
    said = [
        f"{names[k]} {'holds ' if j == 0 else ''}{_share(held[k])}"
        + (" of customers" if j == 0 else "")
        + f", not {'the ' if j == 0 else ''}{_share(asked[k])}{' asked' if j == 0 else ''}"
        for j, k in enumerate(off)
    ]  # fmt: skip
    value, count = _widest_block_at_cuts(np.asarray(scores, dtype=float), shares)
    return [
        "; ".join(said) + f": {count:,} customers share one score ({value:.3f}) at a cut, "
        "and equal scores share a tier"
    ]


def _widest_block_at_cuts(scores: np.ndarray, shares: Sequence[float]) -> tuple[float, int]:
    """The score, and how many share it, of the largest block of equal scores at a cut."""
    descending = np.sort(scores)[::-1]
    n = len(descending)
    found = (float(descending[0]), 0)
    for share in shares:
        value = float(descending[min(max(round(share * n), 1), n) - 1])
        count = int(np.count_nonzero(descending == value))
        if count > found[1]:
            found = (value, count)
    return found


def _z(upper: dict[str, Any], lower: dict[str, Any]) -> float:
    """The two-proportion z of the upper tier's rate over the lower's (0 when undefined)."""
    n1, n2 = upper["customers"], lower["customers"]
    if not n1 or not n2:
        return 0.0
    pooled = (upper["rate"] * n1 + lower["rate"] * n2) / (n1 + n2)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if spread == 0:
        return 0.0
    return float((upper["rate"] - lower["rate"]) / spread)


def _material(higher: float, lower: float) -> bool:
    """The rates differ by :data:`MATERIAL` as a ratio, or their complements do."""
    by_rate = higher >= MATERIAL * lower
    by_rest = (1 - lower) >= MATERIAL * (1 - higher)
    return by_rate or by_rest


def _rate(tier: dict[str, Any]) -> str:
    return f"{tier['rate']:.1%}"


def _share(value: float) -> str:
    return f"{value:.0%}"
