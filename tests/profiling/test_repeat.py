"""A segment all of whom came back, where most customers did not, reads so."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import pytest

import segwise as sw
from segwise.profiling.actions import suggest_actions
from segwise.profiling.profiles import profile_segments
from segwise.profiling.repeat import repeat_share, repeat_trait
from segwise.profiling.traits import Trait

if TYPE_CHECKING:
    from pathlib import Path


def test_the_share_counts_buyers_only() -> None:
    assert repeat_share(pl.DataFrame({"orders": [0, 0, 1, 2]})) == 0.5
    assert repeat_share(pl.DataFrame({"orders": [0, 0]})) is None
    assert repeat_share(pl.DataFrame({"visits": [3]})) is None


def test_the_line_needs_nearly_all_where_most_did_not_and_no_order_count_trait() -> None:
    assert repeat_trait(0.95, 0.49, []) is not None
    assert repeat_trait(0.85, 0.49, []) is None  # not nearly all
    assert repeat_trait(1.0, 0.67, []) is None  # most come back anyway (Online Retail II)
    often = Trait("orders", "numeric", 1, 0.7, "buys 2.1× as often as average")
    assert repeat_trait(1.0, 0.49, [often]) is None  # said better already


def _middle_buyers(seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """Half one-time buyers, a middle group of 2-3 orders, a few heavy buyers."""
    rng = np.random.default_rng(seed)
    once, middle, heavy = 500, 300, 200
    orders = np.r_[np.ones(once), rng.integers(2, 4, middle), rng.integers(6, 40, heavy)]
    basket = rng.gamma(2.0, 15.0, orders.size)
    table = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(orders.size)],
            "orders": orders.astype(int),
            "net_revenue": orders * basket,
        }
    )
    return table, np.r_[np.zeros(once), np.ones(middle), np.full(heavy, 2)].astype(int)


def test_a_middle_cluster_of_repeat_buyers_is_named_and_acted_on_as_such() -> None:
    # Its order count's median (2) is above everyone's (1) and its mean below: no "more"
    # or "fewer" could be said, and its card was empty.
    table, labels = _middle_buyers()
    middle_orders = table.filter(pl.Series(labels == 1))["orders"]
    assert middle_orders.median() > table["orders"].median()
    assert middle_orders.mean() < table["orders"].mean()
    profiles = profile_segments(table, labels, exclude=["customer_id"], definitions=False)
    middle, heavy = profiles.segments[1], profiles.segments[2]
    assert "100% ordered more than once (50% overall)" in middle.traits
    assert "repeat" in middle.name.lower().split()
    assert not any("ordered more than once" in t for t in heavy.traits)
    assert any(t.startswith("buys ") and "as often as average" in t for t in heavy.traits)
    actions = suggest_actions([(p.trait_details, p.value_mean) for p in profiles.segments])
    assert actions[1].startswith("Invite them back")


@pytest.mark.slow
def test_cdnows_lapsed_repeat_buyers_read_as_repeat_buyers(shared_data: Path) -> None:
    # The k-means cluster on recency, orders, revenue and basket that read "Typical
    # customers" with no trait: 2,719 repeat buyers, lapsed 9 months or more, small baskets.
    orders = sw.read_transactions(shared_data / "cdnow_master_transactions.csv.gz")
    features = pl.DataFrame(sw.customer_features(orders)).select(
        "customer_id", "recency_days", "orders", "net_revenue", "avg_order_value"
    )
    group = (
        (pl.col("recency_days") >= 267)
        & pl.col("orders").is_between(2, 3)
        & (pl.col("avg_order_value") <= 44)
    )
    labels = features.select(group.cast(pl.Int64))["recency_days"].to_numpy()
    profiles = profile_segments(features, labels, exclude=["customer_id"], definitions=False)
    card = profiles.segments[1]
    assert card.traits[0] == "100% ordered more than once (49% overall)", card.traits
