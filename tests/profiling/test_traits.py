"""Numeric traits: a difference a reader sees, in the business's words."""

from __future__ import annotations

from segwise.profiling.traits import numeric_trait


def test_a_month_of_tenure_in_a_cohort_is_no_trait_but_a_month_of_recency_is() -> None:
    # CDNOW's customers all joined within 12 weeks (tenure IQR 39 days): a month is over half
    # an SD, and "customer for 17 months (typical customer: 16 months)" named a segment
    # "long-standing". Recency with the same numbers stays: in a base where everyone has
    # lapsed it is what keeps the segment's action a win-back.
    cohort = (517.0, 502.0, 23.3, 517.0, 487.0, 39.0)
    assert numeric_trait("tenure_days", *cohort) is None
    lapsed = numeric_trait("recency_days", 517.0, 367.0, 181.0, 517.0, 471.0, 298.0)
    assert lapsed is not None and lapsed.text.startswith("last bought 17 months ago")
    # A tenure that differs as a reader sees it is a trait, however wide the spread.
    newer = numeric_trait("tenure_days", 180.0, 300.0, 200.0, 180.0, 250.0, 300.0)
    assert newer is not None and newer.text.startswith("customer for 6 months")
