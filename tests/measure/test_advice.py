"""The advice rules on their own: what counts as a segment, what is too small, and the fix each
method gets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from segwise.measure.advice import MAX_SEGMENTS, VALUABLE, advise, split_evidence

NO_FINDINGS = pl.DataFrame()


def kinds(found: list) -> list[tuple[str, list[str]]]:
    return [(a.kind, a.segments) for a in found]


def test_outliers_are_neither_counted_nor_advised_to_merge() -> None:
    sizes = {f"Group {i}": 500 for i in range(MAX_SEGMENTS)} | {"Outliers": 12}
    assert advise("behaviour", sizes, {}, None, NO_FINDINGS, apart=["Outliers"]) == []
    # Without the mark the same table reads as nine segments, one of them too small.
    plain = advise("behaviour", sizes, {}, None, NO_FINDINGS)
    assert kinds(plain) == [("too many", sorted(sizes)), ("too small", ["Outliers"])]
    # One more real segment is too many, and the count leaves the outliers out.
    sizes["Group 8"] = 500
    [too_many] = advise("behaviour", sizes, {}, None, NO_FINDINGS, apart=["Outliers"])
    assert too_many.kind == "too many"
    assert "Outliers" not in too_many.segments
    assert too_many.evidence == [f"{MAX_SEGMENTS + 1} segments"]


def test_groups_kept_apart_are_never_merged_with_a_segment() -> None:
    sizes = {"Regulars": 4_000, "Outliers": 4_000, "Others": 4_000}
    alike = {"orders": 0.01, "net_revenue": 0.02}
    differences = {("Others", "Outliers"): alike, ("Others", "Regulars"): alike}
    arm = {"n": 4_000, "conversion": 0.3, "revenue": 50.0, "revenue_var": 100.0}
    arms = {name: dict(arm) for name in sizes}
    found = advise("s", sizes, differences, arms, NO_FINDINGS, apart=["Outliers"])
    assert kinds(found) == [("merge", ["Others", "Regulars"])]


@pytest.mark.parametrize(
    ("revenue", "kept"),
    [(VALUABLE * 0.01, True), (VALUABLE * 0.01 * 0.9, False), (None, False)],
)
def test_a_small_segment_worth_far_more_than_its_size_is_kept(
    revenue: float | None, kept: bool
) -> None:
    sizes = {"Everyone else": 9_900, "Key accounts": 100}  # 1% of customers
    shares = {} if revenue is None else {"Key accounts": revenue}
    [small] = advise(
        "value", sizes, {}, None, NO_FINDINGS, min_size=200, revenue_shares=shares, method="rules"
    )
    assert small.kind == "too small"
    assert small.segments == ["Key accounts"]
    assert small.action.startswith("keep Key accounts: too few") is kept
    if not kept:
        assert small.action == "merge Key accounts into a neighbouring segment, or widen its rule"
    assert small.evidence[0] == "100 customers, under 200"
    if revenue is not None:
        assert small.evidence[1] == f"1.0% of customers, {revenue:.1%} of revenue"


def test_customers_worth_over_twice_the_average_are_kept_and_said_as_in_the_evidence() -> None:
    """Online Retail II's At-risk high value: 72 of 4,312 customers with 4.5% of revenue, each
    worth 2.6 times the average customer, for personal outreach; 3× told it to merge."""
    sizes = {"Stable": 4_240, "At-risk high value": 72}
    [small] = advise(
        "future", sizes, {}, None, NO_FINDINGS, revenue_shares={"At-risk high value": 0.045}
    )
    assert small.action == (
        "keep At-risk high value: too few for a campaign or a test, but worth 4.5% of revenue; "
        "serve them one by one"
    )
    assert small.evidence[1] == "1.7% of customers, 4.5% of revenue"


@pytest.mark.parametrize(
    ("method", "words"),
    [
        ("rules", "widen its rule"),
        ("rfm", "a preset with fewer segments"),
        ("cluster", "a lower k, or a larger min_segment_share"),
        ("survey", "a lower n_classes"),
        ("propensity", "widen the tier"),
        ("clv", "together with its nearest segment"),
        (None, "together with its nearest segment"),
    ],
)
def test_each_method_gets_the_fix_it_has(method: str | None, words: str) -> None:
    [small] = advise("s", {"Big": 1_000, "Tiny": 10}, {}, None, NO_FINDINGS, method=method)
    assert words in small.action
    assert "Tiny" in small.action
    # A clustering has no rule to widen; only rule segments are told to.
    assert ("widen its rule" in small.action) is (method == "rules")


def test_a_split_too_small_to_act_on_says_what_it_lacks() -> None:
    # Online Retail's "Need Attention" (331 customers): two groups that converted 14.9% and
    # 27.7%, and "orders >= 2 picks out 83 of its 331 customers" with no word of why that is
    # not a split to act on.
    rng = np.random.default_rng(0)
    few, many = 80, 250
    features = pl.DataFrame(
        {
            "customer_id": [str(i) for i in range(few + many)],
            "orders": np.r_[rng.integers(6, 9, few), rng.integers(1, 3, many)],
            "net_revenue": np.r_[rng.normal(900, 60, few), rng.normal(150, 30, many)],
        }
    )
    converted = features.select(
        "customer_id", converted=pl.Series(np.r_[rng.random(few) < 0.6, rng.random(many) < 0.1])
    )
    split = split_evidence(features, converted, min_size=100)
    assert split is not None and split.rule is None
    assert split.evidence[-1].endswith(
        "picks out 80 of its 330 customers, under the 100 a segment needs"
    )
    # Big enough, the same customers split on the condition.
    assert split_evidence(features, converted, min_size=50).rule is not None
