"""Tenure read from a window of orders: customers from before the window look newer.

An orders export is usually a window (the last year or two of orders), and a
customer's tenure counts from their first order *in it*. Everyone who bought
before the window opened seems to start on its first days, so the first 30 days
hold a surge of "first" orders against a steady flow of new customers after:
Online Retail's first 30 days hold 948 first orders, against 394-422 in each of
the next three. A cohort (CDNOW: everyone's first order in 1997's first 12
weeks) starts evenly and has no surge. Where the surge shows, the cards'
"customer for 12 months" means "since the data starts" for many, and the run
says so; a joining date in the customer table gives true tenure.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from segwise.profiling.amounts import duration

if TYPE_CHECKING:
    import polars as pl

#: Days in one window of first orders.
WINDOW = 30
#: First orders in the data's first window, against the median of the next three, that show
#: customers from before it (Online Retail 2.3×, Online Retail II 2.7×; CDNOW's cohort 1.1×).
SURGE = 2.0
#: Fewer first orders than this in the first window tell nothing either way.
MIN_FIRST = 50


def censored_tenure(features: pl.DataFrame, as_of: date) -> str | None:
    """A note when many customers' tenure is cut short by the start of the orders, else None.

    ``features`` is the run's customer table, with ``tenure_days`` counted from each
    customer's first order in the data to ``as_of``.

    Examples
    --------
    >>> import polars as pl
    >>> steady = [400 - d for d in range(400) for _ in range(3)]
    >>> censored_tenure(pl.DataFrame({"tenure_days": steady}), date(2024, 12, 31)) is None
    True
    >>> before = [400] * 200 + steady  # 200 customers from before the data, all on its first day
    >>> censored_tenure(pl.DataFrame({"tenure_days": before}), date(2024, 12, 31))[:49]
    'the orders start on 2023-11-27, and 290 customers'
    """
    if "tenure_days" not in features.columns:
        return None
    tenure = features["tenure_days"].drop_nulls()
    if tenure.is_empty():
        return None
    span = int(tenure.max())  # type: ignore[arg-type]
    if span < 4 * WINDOW:
        return None
    window = (span - tenure) // WINDOW  # 0: first ordered in the data's first 30 days
    counts = [int((window == i).sum()) for i in range(4)]
    first, later = counts[0], sorted(counts[1:])[1]
    if later == 0 or first < MIN_FIRST or first < SURGE * later:
        return None
    start = as_of - timedelta(days=span)
    return (
        f"the orders start on {start.isoformat()}, and {first:,} customers "
        f"({first / tenure.len():.0%}) first bought in the first {WINDOW} days, "
        f"{first / later:.1f}× the {later:,} in each of the next months: many of them were "
        f"customers before, so their tenure counts from {start.isoformat()} ('customer for "
        f"{duration(span)}' can mean 'since the data starts'); a joining date "
        "(sources.customers.joined) gives true tenure"
    )
