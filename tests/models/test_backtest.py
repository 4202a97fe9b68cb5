"""A churn label the backtest contradicts is said, judged like for like: the at-risk top
customers against the other top customers, the churn risks against the others outside the
top."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from segwise.models.backtest import MIN_CHECKED, backtest, churn_check, unheld_churn


def test_at_risk_top_customers_are_judged_against_the_other_top_customers() -> None:
    """CDNOW's case: the at-risk top customers came back more than the mass of stable
    one-time buyers, yet less than the other top customers: the label held."""
    segments = np.array(
        ["At-risk high value"] * 100 + ["Stable"] * 100 + ["Stable"] * 800 + ["Churn risk"] * 200
    )
    high = np.array([True] * 200 + [False] * 1_000)
    bought = np.concatenate(
        [
            np.arange(100) % 4 == 0,  # at-risk top: 75% bought nothing
            np.arange(100) % 5 != 0,  # other top: 20% bought nothing
            np.arange(800) % 7 == 0,  # stable outside the top: 86% bought nothing
            np.arange(200) % 20 == 0,  # churn risks: 95% bought nothing
        ]
    ).astype(float)
    check = churn_check(segments, high, bought)
    rows = {r["segment"]: r for r in check.iter_rows(named=True)}
    assert rows["At-risk high value"]["no_purchase_share"] == pytest.approx(0.75)
    assert rows["At-risk high value"]["baseline_no_purchase_share"] == pytest.approx(0.20)
    assert rows["At-risk high value"]["baseline_customers"] == 100
    assert rows["Churn risk"]["baseline_customers"] == 800
    assert unheld_churn(check) == []
    # Against every stable customer (86% of whom bought nothing) it would have read as unheld.
    stable = np.mean(bought[segments == "Stable"] == 0)
    assert rows["At-risk high value"]["no_purchase_share"] < stable
    # The same check is what the backtest reports.
    result = backtest(np.zeros(1_200), bought, bought, segments=segments, high_value=high)
    assert result.churn_check is not None and result.churn_check.equals(check)
    assert "churn_check" in result.to_dict()


def checked(*rows: tuple[str, int, float, int, float]) -> pl.DataFrame:
    names = ("segment", "customers", "no_purchase_share", "baseline_customers")
    return pl.DataFrame(
        [dict(zip((*names, "baseline_no_purchase_share"), row, strict=True)) for row in rows]
    )


def test_a_label_that_did_not_hold_is_named_with_its_yardstick() -> None:
    [note] = unheld_churn(
        checked(("At-risk high value", 62, 0.24, 650, 0.25), ("Churn risk", 875, 0.7, 1797, 0.5))
    )
    assert note.startswith("At-risk high value: the churn flag did not pick out who left")
    assert (
        "24% of them bought nothing in the holdout, and 25% of the other customers in the "
        "top by past value did too" in note
    )


@pytest.mark.parametrize(
    ("inside", "baseline", "said"),
    [
        ((100, 0.46), (1000, 0.46), True),  # no more leaving than the others: not held
        ((100, 0.47), (1000, 0.46), False),  # more of them left: the label held
        ((MIN_CHECKED - 1, 0.10), (1000, 0.46), False),  # too few to contradict anything
        ((100, 0.10), (MIN_CHECKED - 1, 0.46), False),  # no yardstick to speak of
    ],
)
def test_only_a_contradiction_on_enough_customers_is_said(
    inside: tuple[int, float], baseline: tuple[int, float], said: bool
) -> None:
    found = unheld_churn(checked(("Churn risk", *inside, *baseline)))
    assert bool(found) is said
    if said:
        assert "of the unflagged customers outside the top by past value did too" in found[0]


def test_nothing_to_check_says_nothing() -> None:
    assert unheld_churn(None) == []
    assert churn_check(np.array(["Stable"]), np.array([True]), np.array([0.0])).height == 0
