"""Propensity tiers that the backtest did not tell apart, or that ties left off their share."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from segwise.models.tiers import tier_index
from segwise.segmenters.propensity_tiers import off_share_tiers, unseparated_tiers


def _tiers(*rows: tuple[int, float]) -> list[dict[str, object]]:
    names = ["High", "Medium", "Low"]
    return [{"segment": names[k], "customers": n, "rate": rate} for k, (n, rate) in enumerate(rows)]


def test_cdnows_top_tiers_churned_alike_and_are_said_to() -> None:
    # The backtest of churn in 90 days on CDNOW's master file: the top 60% all churned.
    notes = unseparated_tiers(_tiers((2527, 0.968), (9000, 0.969), (12043, 0.756)), "churn")
    assert len(notes) == 1
    assert notes[0].startswith("High and Medium churned alike in the backtest (96.8% and 96.9%)")


def test_tiers_that_separate_get_no_note() -> None:
    # Online Retail II's churn backtest: 66%, 50%, 29%.
    assert unseparated_tiers(_tiers((693, 0.661), (979, 0.502), (1705, 0.285)), "churn") == []


def test_a_small_difference_on_few_customers_is_not_a_separation() -> None:
    # 60% against 50% on 30 customers each: z ≈ 0.78.
    notes = unseparated_tiers(_tiers((30, 0.6), (30, 0.5)), "purchase")
    assert notes and "bought alike" in notes[0]


def test_a_significant_but_immaterial_difference_is_not_a_separation() -> None:
    # 51% against 50% on 100,000 customers each is significant (z ≈ 4.5) but no basis for
    # treating them differently; 97% against 92% is material through its complement.
    assert unseparated_tiers(_tiers((100_000, 0.51), (100_000, 0.50)), "x > 0")
    assert not unseparated_tiers(_tiers((5_000, 0.97), (5_000, 0.92)), "churn")


def test_tiers_ranked_the_wrong_way_round_are_said_so() -> None:
    notes = unseparated_tiers(_tiers((2_000, 0.30), (2_000, 0.45)), "purchase")
    assert notes == [
        "Medium bought more often than High in the backtest (45.0% against 30.0%): the score "
        "ranks them the wrong way round, so do not act on the difference"
    ]


@given(
    n=st.integers(min_value=1, max_value=10_000),
    rate=st.floats(min_value=0, max_value=1),
)
def test_equal_rates_are_never_told_apart(n: int, rate: float) -> None:
    assert len(unseparated_tiers(_tiers((n, rate), (n, rate)), "churn")) == 1


@given(
    n=st.integers(min_value=400, max_value=100_000),
    low=st.floats(min_value=0.05, max_value=0.45),
)
def test_rates_twice_as_high_on_hundreds_are_always_told_apart(n: int, low: float) -> None:
    assert unseparated_tiers(_tiers((n, 2 * low), (n, low)), "churn") == []


def test_a_block_of_equal_scores_at_a_cut_is_said() -> None:
    # 7% above the block, 80% in it: the top 20% cannot be cut out of it.
    scores = np.array([0.99] * 7 + [0.97] * 80 + [0.2] * 13)
    tier = tier_index(scores, [0.2, 0.5])
    notes = off_share_tiers(scores, tier, ["High", "Medium", "Low"], [0.2, 0.5])
    assert notes == [
        "High holds 7% of customers, not the 20% asked; Medium 80%, not 30%; Low 13%, not 50%: "
        "80 customers share one score (0.970) at a cut, and equal scores share a tier"
    ]


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=200, unique=True))
def test_distinct_scores_hold_their_shares_and_get_no_note(values: list[float]) -> None:
    scores = np.array(values)
    shares = [0.2, 0.5]
    # With every score distinct each tier is within one customer of its share, so only
    # populations too small to cut finely can be off by half.
    notes = off_share_tiers(scores, tier_index(scores, shares), ["H", "M", "L"], shares)
    assert notes == [] or len(values) < 10
