"""A churn label the backtest contradicts is said: an at-risk group that came back more than
the stable one."""

from __future__ import annotations

import polars as pl
import pytest

from segwise.models.backtest import MIN_CHECKED, unheld_churn


def table(**shares: tuple[int, float]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "segment": list(shares),
            "customers": [n for n, _ in shares.values()],
            "no_purchase_share": [s for _, s in shares.values()],
        }
    )


def test_a_churn_group_that_bought_more_than_the_stable_one_is_named() -> None:
    found = unheld_churn(
        table(
            **{"At-risk high value": (62, 0.24), "Churn risk": (875, 0.70), "Stable": (1797, 0.46)}
        )
    )
    [note] = found
    assert note.startswith("At-risk high value: in the backtest 24% of them bought nothing")
    assert "against 46% of Stable" in note


@pytest.mark.parametrize(
    ("at_risk", "stable", "said"),
    [
        ((100, 0.46), (1000, 0.46), True),  # no more leaving than the stable: not held
        ((100, 0.47), (1000, 0.46), False),  # more of them left: the label held
        ((MIN_CHECKED - 1, 0.10), (1000, 0.46), False),  # too few to contradict anything
        ((100, 0.10), (MIN_CHECKED - 1, 0.46), False),  # no baseline to speak of
    ],
)
def test_only_a_contradiction_on_enough_customers_is_said(
    at_risk: tuple[int, float], stable: tuple[int, float], said: bool
) -> None:
    found = unheld_churn(table(**{"Churn risk": at_risk, "Stable": stable}))
    assert bool(found) is said


def test_nothing_to_check_says_nothing() -> None:
    assert unheld_churn(None) == []
    assert unheld_churn(table(**{"Churn risk": (500, 0.1)})) == []  # no Stable
