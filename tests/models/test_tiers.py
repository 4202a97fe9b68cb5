"""Tiers by shares of customers: equal values share a tier, each as near its share as they allow."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from segwise.models.tiers import tier_index, value_tiers

# Few distinct values, so that blocks of equal values straddle the marks, as calibrated
# probabilities do.
VALUES = st.lists(st.sampled_from([0.05, 0.1, 0.3, 0.5, 0.9, 0.98]), min_size=1, max_size=60)
SHARES = st.lists(st.floats(0.01, 0.99), min_size=1, max_size=3, unique=True).map(sorted)


@given(VALUES, SHARES)
def test_equal_values_share_a_tier_and_higher_values_a_higher_one(
    values: list[float], shares: list[float]
) -> None:
    array = np.array(values)
    tier = tier_index(array, shares)
    for value in set(values):
        assert len(set(tier[array == value].tolist())) == 1
    order = np.argsort(-array, kind="stable")
    assert (np.diff(tier[order]) >= 0).all()
    assert tier.min() >= 0 and tier.max() <= len(shares)


@given(VALUES, SHARES, st.data())
def test_the_rows_order_does_not_move_anyone(
    values: list[float], shares: list[float], data: st.DataObject
) -> None:
    array = np.array(values)
    shuffled = np.array(data.draw(st.permutations(range(len(values)))))
    assert (tier_index(array, shares)[shuffled] == tier_index(array[shuffled], shares)).all()


@given(VALUES, st.floats(0.01, 0.99))
def test_the_cut_is_the_nearer_side_of_the_block_at_the_mark(
    values: list[float], share: float
) -> None:
    array = np.array(values)
    top = int((tier_index(array, [share]) == 0).sum())
    mark = min(max(round(share * len(values)), 0), len(values))
    if mark in (0, len(values)):
        assert top == mark
        return
    at_mark = np.sort(array)[::-1][mark - 1]
    above, through = int((array > at_mark).sum()), int((array >= at_mark).sum())
    assert top in (above, through)
    if above > 0:  # otherwise the block is taken whole, not left for an empty tier
        assert abs(top - mark) == min(mark - above, through - mark)
    else:
        assert top == through


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=80, unique=True), SHARES)
def test_without_ties_each_tier_holds_its_share_by_rank(
    values: list[float], shares: list[float]
) -> None:
    tier = tier_index(np.array(values), shares)
    n = len(values)
    for k, share in enumerate(shares):
        cut = min(max(round(share * n), 0), n)
        assert int((tier <= k).sum()) == max(cut, *(round(s * n) for s in shares[:k]), 0)


def test_value_tiers_name_the_three_tiers() -> None:
    found = value_tiers(np.array([10.0, 50.0, 50.0, 1.0, 5.0, 7.0, 8.0, 9.0, 2.0, 3.0]))
    assert found.tolist().count("high") == 2
    assert found.tolist().count("medium") == 4
