"""A segment quiet for no longer than its own time between orders is not lapsed."""

from __future__ import annotations

import numpy as np
import polars as pl

from segwise.profiling.actions import suggest_action
from segwise.profiling.between_orders import BETWEEN_ORDERS, between_orders
from segwise.profiling.profiles import profile_segments
from segwise.profiling.traits import numeric_trait


def _group(name: str, n: int, recency: float, gap: float, orders: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "segment": [name] * n,
            "recency_days": rng.normal(recency, recency / 10, n).clip(1),
            "inter_purchase_mean_days": rng.normal(gap, gap / 10, n).clip(1),
            "orders": rng.poisson(orders, n).clip(2),
        }
    )


def test_big_accounts_between_orders_are_not_told_to_come_back() -> None:
    # Online Retail II's big accounts (2010-12-09): a cluster "last bought 6 weeks ago
    # (typical customer: 10 days)" ordering every 6-7 weeks was "Occasional lapsed" and told
    # to win back; a group quiet for 7 months against a monthly habit is lapsed indeed.
    table = pl.concat(
        [
            _group("weekly", 200, 4.0, 9.0, 50, 0),
            _group("six-weekly", 60, 41.0, 45.0, 7, 1),
            _group("gone", 30, 210.0, 30.0, 8, 2),
        ]
    )
    # Recency leads the cards, as it led the cluster's rule (recency_days >= 2 AND ...).
    leads = {"six-weekly": ["recency_days"], "gone": ["recency_days"]}
    profiles = profile_segments(table, "segment", definitions=False, defining=leads)
    by_segment = {p.segment: p for p in profiles.segments}
    pausing, gone = by_segment["six-weekly"], by_segment["gone"]
    assert "apsed" not in pausing.name and "Lapsed" in gone.name
    line = next(t for t in pausing.traits if t.startswith("last bought"))
    assert line.endswith("no longer than they usually wait between orders (6 weeks)")
    assert not suggest_action(pausing.trait_details).startswith("Win back")
    assert suggest_action(gone.trait_details).startswith("Win back")


def test_the_line_is_kept_where_the_segment_has_no_usual_pause_to_read() -> None:
    lapsed = numeric_trait("recency_days", 60.0, 20.0, 15.0, 60.0, 18.0, 20.0)
    assert lapsed is not None and lapsed.word == "lapsed"
    within = pl.DataFrame({"recency_days": [55, 60, 65], "inter_purchase_mean_days": [70, 80, 60]})
    [said] = between_orders([lapsed], within)
    assert said.concept == BETWEEN_ORDERS and said.word == ""
    # Overdue on their own pace, mostly one-time buyers, or no pace in the table: lapsed.
    overdue = within.with_columns(pl.col("inter_purchase_mean_days") / 3)
    one_time = within.with_columns(pl.Series("inter_purchase_mean_days", [70.0, None, None]))
    for members in (overdue, one_time, within.drop("inter_purchase_mean_days")):
        assert between_orders([lapsed], members) == [lapsed]
    # The median of the segment's silences must not exceed the usual pause the line quotes.
    mixed = pl.DataFrame({"recency_days": [10, 20, 200, 210, 220],
                          "inter_purchase_mean_days": [30, 40, 300, 250, 190]})  # fmt: skip
    assert between_orders([lapsed], mixed) == [lapsed]
