"""Each exposed customer's metrics in the window after exposure, and before it."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl
import pytest

from segwise.exceptions import ConfigError
from segwise.measure.outcomes import metric_values, resolve_metrics

AT = datetime(2026, 3, 1, 12)


def exposed() -> pl.LazyFrame:
    return pl.LazyFrame(
        {"customer_id": ["a", "b", "c"], "variant": ["A", "B", "B"], "exposed_at": [AT] * 3}
    )


def orders() -> pl.LazyFrame:
    def day(n: float) -> datetime:
        return AT + timedelta(days=n)

    return pl.LazyFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "b", "z"],
            "timestamp": [day(1), day(1), day(3), day(31), day(-5), day(-1), day(2), day(1)],
            "order_id": ["o1", "o1", "o2", "o3", "o4", "o5", "o6", "o7"],
            "amount": [10.0, 5.0, 20.0, 99.0, 7.0, 3.0, -4.0, 1.0],
            "is_return": [False, False, False, False, False, False, True, False],
        }
    )


def test_orders_in_the_window_and_the_pre_period_by_hand() -> None:
    metrics = resolve_metrics(["conversion", "revenue", "orders"], has_orders=True, outcomes=None)
    found = (
        metric_values(
            exposed(),
            metrics,
            orders=orders(),
            outcomes=None,
            window=timedelta(days=30),
            pre_period=timedelta(days=14),
        )
        .collect()
        .sort("customer_id")
    )
    # a: o1 (two lines) and o2 in the window, o3 after it, o4 before exposure.
    # b: only a return in the window (net revenue -4, no order), o5 before.
    # c: nothing at all, still counted, as zeros.
    assert found.select("customer_id", "conversion", "revenue", "orders").rows() == [
        ("a", 1.0, 35.0, 2.0),
        ("b", 0.0, -4.0, 0.0),
        ("c", 0.0, 0.0, 0.0),
    ]
    assert found.select("conversion__pre", "revenue__pre", "orders__pre").rows() == [
        (1.0, 7.0, 1.0),
        (1.0, 3.0, 1.0),
        (0.0, 0.0, 0.0),
    ]


def test_outcome_metrics_are_shares_when_zero_or_one_and_sums_otherwise() -> None:
    outcomes = pl.LazyFrame(
        {
            "customer_id": ["a", "a", "b", "c", "c"],
            "timestamp": [AT + timedelta(days=d) for d in (1, 2, 1, -2, 5)],
            "metric": ["signup", "signup", "minutes", "minutes", "minutes"],
            "value": [1.0, 1.0, 12.5, 4.0, 30.0],
        }
    )
    metrics = resolve_metrics(["signup", "minutes"], has_orders=True, outcomes=outcomes)
    assert [(m.name, m.kind, m.source) for m in metrics] == [
        ("signup", "binary", "outcomes"),
        ("minutes", "continuous", "outcomes"),
    ]
    found = (
        metric_values(
            exposed(),
            metrics,
            orders=None,
            outcomes=outcomes,
            window=timedelta(days=30),
            pre_period=timedelta(days=14),
        )
        .collect()
        .sort("customer_id")
    )
    assert found.select("signup", "minutes", "minutes__pre").rows() == [
        (1.0, 0.0, 0.0),
        (0.0, 12.5, 0.0),
        (0.0, 30.0, 4.0),
    ]


def test_an_unknown_metric_names_the_ones_there_are() -> None:
    with pytest.raises(ConfigError, match="no metric 'clicks'") as caught:
        resolve_metrics(["clicks"], has_orders=True, outcomes=None)
    assert "conversion, revenue, orders" in str(caught.value.hint)
