"""Quiet for no longer than they usually are: a segment between orders is not lapsed.

Recency is read against the whole base, and a base of frequent buyers makes a normal pause
look long. Online Retail II's big accounts (net revenue of £5,000 or more, clustered inside a
hybrid as of 2010-12-09): one cluster "last bought 6 weeks ago (typical customer: 10 days)"
was named "Occasional lapsed customers" and told to "Win back", but its customers order
every 6–7 weeks (median time between orders 45 days, since the last order 41): they were
between orders, as usual. Where the segment's typical repeat buyer has been quiet for no
longer than their own usual time between orders, its recency line says so, names nothing
and asks for no win-back; a segment mostly of one-time buyers has no such time to read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING

import polars as pl

from segwise.profiling import vocabulary
from segwise.profiling.amounts import duration
from segwise.profiling.traits import concept_key

if TYPE_CHECKING:
    from segwise.profiling.traits import Trait

#: The concept a lapsed-looking recency line takes when the segment is between orders: no
#: name word and no action are made from it.
BETWEEN_ORDERS = "between orders"
#: Quiet for at most this many of their own times between orders: between orders, as usual.
USUAL_CYCLES = 1.0
#: Read only where at least this share of the segment has a time between orders: the
#: recency the line shows is everyone's, the usual pause the repeat buyers'.
REPEAT_ENOUGH = 0.9

_LAST_GAP = re.compile(r"(^|_)last(_|$)")


def cycle_column(columns: list[str]) -> str | None:
    """The column of each customer's usual (mean) time between orders, if there is one.

    Examples
    --------
    >>> cycle_column(["orders", "inter_purchase_last_days", "inter_purchase_mean_days"])
    'inter_purchase_mean_days'
    >>> cycle_column(["orders"]) is None
    True
    """
    for name in columns:
        concept = vocabulary.concept_of(name)
        if concept is not None and concept.key == "cycle" and not _LAST_GAP.search(name):
            return name
    return None


def between_orders(traits: list[Trait], members: pl.DataFrame) -> list[Trait]:
    """``traits`` with a lapsed recency line said as a pause between orders, where it is one.

    ``members`` are the segment's customers with their feature columns; the recency line is
    changed only when they have a time between orders (:func:`cycle_column`), at least
    :data:`REPEAT_ENOUGH` of them have one, and the median of each one's time since the last
    order over that time is :data:`USUAL_CYCLES` or less.

    Examples
    --------
    >>> from segwise.profiling.traits import Trait
    >>> quiet = Trait("recency_days", "numeric", 1, 1.0, "last bought 6 weeks ago", word="lapsed")
    >>> members = pl.DataFrame({"recency_days": [41, 30, 50],
    ...                         "inter_purchase_mean_days": [45, 40, 44]})
    >>> [(t.text, t.word) for t in between_orders([quiet], members)]
    [('last bought 6 weeks ago, no longer than they usually wait between orders (6 weeks)', '')]
    """
    found = [
        i
        for i, t in enumerate(traits)
        if t.kind == "numeric" and t.direction > 0 and concept_key(t) == "recency"
    ]
    cycle = cycle_column(members.columns)
    if not found or cycle is None:
        return traits
    trait = traits[found[0]]
    usual = _usual_pause(members, trait.feature, cycle)
    if usual is None:
        return traits
    said = replace(
        trait,
        text=f"{trait.text}, no longer than they usually wait between orders ({duration(usual)})",
        word="",
        concept=BETWEEN_ORDERS,
    )
    return [said if i == found[0] else t for i, t in enumerate(traits)]


def _usual_pause(members: pl.DataFrame, recency: str, cycle: str) -> float | None:
    """The members' median time between orders, if they are typically within it; else None.

    Typically within it: each one's time since the last order over their own time between
    orders has a median of :data:`USUAL_CYCLES` or less, and so do the two medians (the
    line shows both: "last bought 6 weeks ago, … (6 weeks)").
    """
    if members.height == 0 or recency not in members.columns:
        return None
    gaps = members.select(
        pl.col(recency).cast(pl.Float64).alias("quiet"), pl.col(cycle).cast(pl.Float64).alias("gap")
    ).filter(pl.col("gap") > 0, pl.col("quiet").is_not_null())
    if gaps.height < REPEAT_ENOUGH * members.height:
        return None
    ratio = gaps.select((pl.col("quiet") / pl.col("gap")).median()).item()
    usual = gaps["gap"].median()
    quiet = members[recency].cast(pl.Float64).median()
    if not isinstance(ratio, float) or not isinstance(usual, float) or ratio > USUAL_CYCLES:
        return None
    return usual if isinstance(quiet, float) and quiet <= USUAL_CYCLES * usual else None
