"""Value tiers: split customers by predicted value at configurable shares."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from segwise.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

TIER_NAMES = ("high", "medium", "low")


def value_tiers(values: np.ndarray, shares: Sequence[float] = (0.2, 0.6)) -> np.ndarray:
    """Name each customer's tier from the share of customers valued strictly higher.

    With ``shares=(0.2, 0.6)`` the top 20% are ``high``, the next customers up
    to 60% are ``medium``, the rest ``low``. Identical values always share a
    tier (a customer is placed by how many customers are strictly above it, as
    :mod:`segwise.models.engine_predictions` places them in the engine).

    Examples
    --------
    >>> value_tiers(np.array([10.0, 50.0, 50.0, 1.0, 5.0]), shares=(0.2, 0.6)).tolist()
    ['medium', 'high', 'high', 'low', 'low']
    """
    cuts = check_shares(shares)
    values = np.asarray(values, dtype=float)
    order = np.sort(values)[::-1]
    # customers strictly above each value, as a share of all customers
    above = np.searchsorted(-order, -values, side="left") / max(values.size, 1)
    return np.where(
        above < cuts[0], TIER_NAMES[0], np.where(above < cuts[1], TIER_NAMES[1], TIER_NAMES[2])
    )


def tier_index(values: np.ndarray, shares: Sequence[float]) -> np.ndarray:
    """Each value's tier, 0 the highest, the tiers cut at cumulative ``shares`` of customers.

    Identical values always share a tier: each cut falls between two distinct values, on
    the side of a block of equal values that leaves the tier nearer its share (the side
    that gives it customers when the other would leave it empty). A split by rank alone
    cuts such a block by the rows' order, which differs between engines, and a calibrated
    probability takes only a few dozen values, so blocks are large (the propensity tiers).

    Examples
    --------
    >>> tier_index(np.array([0.9, 0.8, 0.5, 0.5, 0.1]), [0.2, 0.5]).tolist()
    [0, 1, 2, 2, 2]
    >>> tier_index(np.array([0.9, 0.9, 0.9, 0.5, 0.1]), [0.2]).tolist()
    [0, 0, 0, 1, 1]
    """
    values = np.asarray(values, dtype=float)
    descending = -np.sort(values)[::-1]  # negated: ascending, for searchsorted
    n = values.size
    cuts: list[int] = []
    for share in shares:
        previous = cuts[-1] if cuts else 0
        cut = min(max(round(share * n), 0), n)
        if 0 < cut < n:
            value = descending[cut - 1]
            above = int(np.searchsorted(descending, value, side="left"))
            through = int(np.searchsorted(descending, value, side="right"))
            nearer = through if through - cut <= cut - above else above
            cut = through if nearer <= previous < through else nearer
        cuts.append(max(cut, previous))
    # The customers valued strictly higher than each: a value is below every cut up to it.
    higher = np.searchsorted(descending, -values, side="left")
    return np.searchsorted(np.asarray(cuts), higher, side="right")


def check_shares(shares: Sequence[float]) -> list[float]:
    """The tier shares as a list, or an error unless they are two increasing shares."""
    cuts = list(shares)
    if len(cuts) != 2 or not 0 < cuts[0] < cuts[1] < 1:
        raise ConfigError(
            f"tiers must be two increasing shares between 0 and 1, not {cuts}",
            hint="e.g. tiers: [0.2, 0.6] (top 20% high, next 40% medium)",
        )
    return cuts
