"""Repeat buyers: a segment all of whom ordered again, where most customers did not.

Order counts are skewed: half of CDNOW's customers bought once, a few bought dozens of
times. A k-means cluster of customers with two or three orders each sits between the
two: its median (2) is above everyone's (1) and its mean (2.4) below everyone's (2.9),
so no "more" or "fewer" orders can be said without contradicting one of the numbers,
and its card, with the same tension on value and recency, said nothing at all ("Typical
customers", 2,719 of them). What sets it apart is that every one of them came back:
"100% ordered more than once (49% overall)", named "repeat". The line is said only where
no order-count trait speaks already: "buys 2.1× as often as average" says more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.profiling.traits import Trait, concept_key, share_effect

if TYPE_CHECKING:
    from collections.abc import Sequence

#: The order count column of :func:`segwise.customer_features`.
ORDERS = "orders"
#: A segment this much of whose buyers ordered more than once reads "ordered more than once"…
REPEAT_SHARE = 0.9
#: …where at most this share of all buyers did: a base mostly of one-time buyers. On Online
#: Retail II (67% came back) the line restated what RFM's At Risk and a "repeat buyers" rule
#: say by definition, and took "slow-repeat" out of At Risk's name.
COMMON_SHARE = 0.6
REPEAT_WORD = "repeat"


def repeat_share(frame: pl.DataFrame) -> float | None:
    """The share of ``frame``'s buyers (one order or more) with two orders or more.

    None without an ``orders`` column or any buyer.

    Examples
    --------
    >>> repeat_share(pl.DataFrame({"orders": [0, 1, 2, 5]}))
    0.6666666666666666
    """
    if ORDERS not in frame.columns:
        return None
    counts = frame[ORDERS].cast(pl.Float64)
    buyers = int((counts >= 1).sum())
    return float((counts >= 2).sum() / buyers) if buyers else None


def repeat_trait(
    share: float | None, overall_share: float | None, said: Sequence[Trait]
) -> Trait | None:
    """The segment's "ordered more than once" line, or None.

    None unless nearly all its buyers ordered again (:data:`REPEAT_SHARE`), fewer of all
    buyers did (:data:`COMMON_SHARE`), and none of ``said`` (the segment's other traits)
    speaks of the order count.

    Examples
    --------
    >>> repeat_trait(1.0, 0.49, []).text
    '100% ordered more than once (49% overall)'
    >>> repeat_trait(1.0, 0.92, []) is None  # most customers come back anyway
    True
    """
    if share is None or overall_share is None:
        return None
    if share < REPEAT_SHARE or overall_share > COMMON_SHARE:
        return None
    if any(concept_key(trait) == "frequency" for trait in said):
        return None
    return Trait(
        ORDERS,
        "numeric",
        1,
        share_effect(share, overall_share),
        f"{share:.0%} ordered more than once ({overall_share:.0%} overall)",
        word=REPEAT_WORD,
        concept="frequency",
    )
