"""What a segment shares with everyone: the features on which it is near the average.

A segment set apart on one or two features (RFM's At Risk on recency alone, the middle
cluster of a k-means) had a card of one or two traits, which read as if the rest were
unknown. That it is typical on the rest is itself worth saying: At Risk customers who
buy as often and spend as much as anyone, only not lately, call for another message
than lapsed big spenders.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from segwise.profiling import vocabulary
from segwise.profiling.traits import concept_key

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.profiling.traits import Trait

#: Cards with fewer traits than this say where the segment is typical.
FEW_TRAITS = 3
#: At most this many features are named as typical.
NAMED = 3
#: Near the average: mean within this many standard deviations of everyone's, and median
#: within this many interquartile ranges. A trait needs 0.2 and a material difference; the
#: band between (age 33 against 39 in Mall Customers' big spenders, 0.43) is neither.
NEAR_EFFECT = 0.25
#: ... and, for a positive average, a mean within this share of it: the report's profile
#: shows mean ÷ average, and Online Retail II's return-prone cluster, spending 0.5× the
#: average (within a quarter of spend's wide standard deviation), was "near the average:
#: value" beside it.
NEAR_RATIO = 0.15
#: A share (of returns, of a category) is near within this many points, whatever its
#: ratio: 3.7% of returns against 3.0% is no difference, as for a trait.
NEAR_POINTS = 0.02


def near_average(
    mean: float,
    overall_mean: float,
    overall_std: float,
    median: float,
    overall_median: float,
    overall_iqr: float,
    *,
    feature: str | None = None,
) -> bool:
    """The segment's mean and median are both within a small effect of everyone's.

    ``feature`` names what is measured: a share is near within :data:`NEAR_POINTS`, any
    other measure within :data:`NEAR_RATIO` of a positive average.

    Examples
    --------
    >>> near_average(3.2, 3.15, 4.0, 2.0, 2.0, 3.0)
    True
    >>> near_average(8.2, 3.15, 4.0, 6.0, 2.0, 3.0)
    False
    >>> near_average(922.0, 1951.0, 8000.0, 500.0, 677.0, 1375.0)  # half the average
    False
    >>> near_average(0.037, 0.030, 0.11, 0.0, 0.0, 0.016, feature="return_rate")
    True
    """
    if overall_std <= 0 or math.isnan(mean) or math.isnan(median):
        return False
    if abs(mean - overall_mean) / overall_std >= NEAR_EFFECT:
        return False
    concept = vocabulary.concept_of(feature) if feature else None
    if concept is not None and concept.unit == "share":
        if abs(mean - overall_mean) >= NEAR_POINTS:
            return False
    elif overall_mean > 0 and mean >= 0 and abs(mean / overall_mean - 1) >= NEAR_RATIO:
        return False
    return overall_iqr <= 0 or abs(median - overall_median) / overall_iqr < NEAR_EFFECT


def typical_trait(near: Sequence[str], said: Sequence[Trait]) -> str | None:
    """``otherwise near the average: order count, value and tenure``, or None.

    A card with no trait before it drops the "otherwise".

    ``near`` are the features on which the segment is near the average, in the
    table's order; those of a concept a trait already speaks of are left out, and
    each concept is named once.

    Examples
    --------
    >>> from segwise.profiling.traits import Trait
    >>> lapsed = Trait("recency_days", "numeric", 1, 1.2, "last bought 4 months ago")
    >>> typical_trait(["orders", "net_revenue", "tenure_days", "avg_order_value"], [lapsed])
    'otherwise near the average: order count, value and tenure'
    >>> typical_trait(["net_revenue"], [])
    'near the average: value'
    >>> typical_trait([], []) is None
    True
    """
    taken = {concept_key(trait) for trait in said}
    nouns: list[str] = []
    for feature in near:
        concept = vocabulary.concept_of(feature)
        key = concept.key if concept else feature
        noun = vocabulary.noun(feature)
        if key in taken or noun in nouns:
            continue
        taken.add(key)
        nouns.append(noun)
    if not nouns:
        return None
    named = nouns[:NAMED]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} and {named[-1]}"
    return f"{'otherwise ' if said else ''}near the average: {listed}"
