"""Buyers who paid nothing: one line for a segment of free orders, not its zeros one by one.

CDNOW holds 68 customers whose every order was worth $0 (free or promotional CDs). The
predictive segmentation cannot score them and puts them in "(not scored)", whose card read
"typical order worth 0 (typical customer: 25.50)" and "net revenue far below average (0 vs
106)" under the name "Small-basket one-time customers": a small basket is a customer who
buys cheap things, not one who pays nothing. A segment whose buyers almost all paid nothing
reads "100% paid nothing, net of returns" and is named "non-paying".
"""

from __future__ import annotations

import polars as pl

from segwise.profiling.traits import Trait, share_effect

#: A segment this much of whose buyers paid nothing (value 0 or less) reads "paid nothing".
UNPAID_SHARE = 0.95
UNPAID_WORD = "non-paying"
#: What paying nothing makes zero: traits on these only restate it.
UNPAID_CONCEPTS = frozenset({"value", "basket"})


def unpaid_share(frame: pl.DataFrame, value: str | None) -> float | None:
    """The share of ``frame``'s buyers (with a ``recency_days``) whose ``value`` is 0 or less.

    None without a value column, a ``recency_days`` or any buyer.

    Examples
    --------
    >>> frame = pl.DataFrame({"recency_days": [3, 9, None], "net_revenue": [0.0, 20.0, 0.0]})
    >>> unpaid_share(frame, "net_revenue")
    0.5
    """
    if value is None or value not in frame.columns or "recency_days" not in frame.columns:
        return None
    bought = frame.filter(pl.col("recency_days").is_not_null())
    if bought.height == 0:
        return None
    return float(bought.select((pl.col(value).fill_null(0) <= 0).mean()).item())


def unpaid_trait(
    value: str | None, share: float | None, overall_share: float | None
) -> Trait | None:
    """The segment's "paid nothing" line, or None when most of its buyers paid something.

    Examples
    --------
    >>> unpaid_trait("net_revenue", 1.0, 0.003).text
    '100% paid nothing, net of returns (0.3% overall)'
    >>> unpaid_trait("net_revenue", 0.4, 0.003) is None
    True
    """
    if value is None or share is None or overall_share is None or share < UNPAID_SHARE:
        return None
    overall = f"{overall_share:.0%}" if overall_share >= 0.1 else f"{overall_share:.1%}"
    return Trait(
        value,
        "missing",
        1,
        share_effect(share, overall_share),
        f"{share:.0%} paid nothing, net of returns ({overall} overall)",
        word=UNPAID_WORD,
        concept="value",
    )
