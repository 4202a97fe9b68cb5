"""Buyers who paid nothing read as such, not as small baskets and low spend."""

from __future__ import annotations

import numpy as np
import polars as pl

from segwise.profiling import profile_segments
from segwise.profiling.unpaid import UNPAID_SHARE, unpaid_share, unpaid_trait


def _customers(free_share: float, seed: int = 1) -> pl.DataFrame:
    """900 paying customers and 100 whose orders were worth 0 at ``free_share``."""
    rng = np.random.default_rng(seed)
    paying = pl.DataFrame(
        {
            "recency_days": rng.integers(1, 400, 900),
            "orders": rng.integers(1, 9, 900),
            "net_revenue": rng.gamma(2.0, 60.0, 900),
            "avg_order_value": rng.gamma(2.0, 20.0, 900),
            "segment": ["paying"] * 900,
        }
    )
    free = rng.random(100) < free_share
    spend = np.where(free, 0.0, rng.gamma(2.0, 60.0, 100))
    odd = pl.DataFrame(
        {
            "recency_days": rng.integers(300, 500, 100),
            "orders": np.ones(100, dtype=np.int64),
            "net_revenue": spend,
            "avg_order_value": spend,
            "segment": ["odd"] * 100,
        }
    )
    return pl.concat([paying, odd])


def test_a_segment_of_free_orders_reads_paid_nothing_not_small_baskets() -> None:
    """CDNOW's 68 customers whose orders were all worth $0 were "Small-basket one-time"."""
    profiles = {p.segment: p for p in profile_segments(_customers(1.0), "segment").segments}
    odd = profiles["odd"]
    assert "100% paid nothing, net of returns (10% overall)" in odd.traits
    assert odd.name.lower().startswith("non-paying")
    assert not any(t.startswith(("typical order worth", "spends")) for t in odd.traits)
    assert "paid nothing" not in " ".join(profiles["paying"].traits)


def test_a_segment_where_most_paid_keeps_its_value_traits() -> None:
    odd = {p.segment: p for p in profile_segments(_customers(0.5), "segment").segments}["odd"]
    assert not any("paid nothing" in t for t in odd.traits)
    assert "non-paying" not in odd.name.lower()


def test_the_share_counts_buyers_only_and_the_line_needs_almost_all() -> None:
    frame = pl.DataFrame({"recency_days": [1, 2, 3, None], "net_revenue": [0.0, -5.0, 10.0, 0.0]})
    assert unpaid_share(frame, "net_revenue") == 2 / 3  # the one who never bought is not counted
    assert unpaid_share(frame, None) is None
    assert unpaid_share(frame.drop("recency_days"), "net_revenue") is None
    assert unpaid_trait("net_revenue", UNPAID_SHARE, 0.01) is not None
    assert unpaid_trait("net_revenue", UNPAID_SHARE - 0.01, 0.01) is None
    assert unpaid_trait(None, 1.0, 0.01) is None
