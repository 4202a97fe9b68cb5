"""Leak-free training rows: nothing after the cut-off reaches a feature; labels read the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segwise.features.behaviour import customer_features
from segwise.segmenters.rules import RuleSegmenter
from segwise.segmenters.windows import OUTCOMES, RECENT_DAYS, Outcome, training_rows

CUTOFF = dt.date(2024, 3, 31)


def _orders(rows: list[tuple[str, dt.datetime, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"customer_id": pl.String, "timestamp": pl.Datetime("us"), "amount": pl.Float64},
        orient="row",
    ).with_columns(pl.int_range(pl.len()).cast(pl.String).alias("order_id"))


PAST = [
    ("a", dt.datetime(2024, 1, 5, 10), 30.0),
    ("a", dt.datetime(2024, 3, 31, 23, 59), 20.0),  # on the cut-off day: counted
    ("b", dt.datetime(2023, 11, 2, 9), 80.0),
    ("c", dt.datetime(2024, 2, 14, 12), 15.0),
]


def test_labels_read_the_window_after_the_cutoff_only() -> None:
    later = [
        ("a", dt.datetime(2024, 4, 1, 0, 1), 10.0),  # the first minute after the cut-off day
        ("c", dt.datetime(2024, 6, 30, 8), 5.0),  # the window's last day: inside
        ("b", dt.datetime(2024, 7, 1, 8), 5.0),  # the day after the window: outside
        ("d", dt.datetime(2024, 4, 10, 8), 5.0),  # acquired after the cut-off: not in the rows
    ]
    rows = training_rows(_orders(PAST + later), cutoff=CUTOFF, outcome=Outcome.of("churn", 91))
    assert dict(rows.select("customer_id", "label").iter_rows()) == {
        "a": False,
        "b": True,
        "c": False,
    }
    assert rows.filter(pl.col("customer_id") == "a")["orders"].item() == 2
    assert rows["orders_30d"].to_list() == [1, 0, 0]
    bought = training_rows(_orders(PAST + later), cutoff=CUTOFF, outcome=Outcome.of("purchase", 91))
    assert bought["label"].to_list() == [True, False, True]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "x"]),
            st.integers(min_value=1, max_value=400),  # days after the cut-off
            st.floats(min_value=-500, max_value=5_000, allow_nan=False),
        ),
        max_size=12,
    )
)
def test_no_row_after_the_cutoff_changes_a_feature(future: list[tuple[str, int, float]]) -> None:
    """Whatever happens later (purchases, refunds, new customers) leaves the features alone."""
    planted = [
        (c, dt.datetime.combine(CUTOFF, dt.time(12)) + dt.timedelta(days=d), amount)
        for c, d, amount in future
    ]
    alone = training_rows(_orders(PAST), cutoff=CUTOFF, outcome=None)
    with_future = training_rows(_orders(PAST + planted), cutoff=CUTOFF, outcome=None)
    assert with_future.equals(alone)


def test_every_engine_builds_the_same_rows(to_engine: Any) -> None:
    later = [("a", dt.datetime(2024, 4, 3, 8), 12.0), ("b", dt.datetime(2024, 5, 1, 8), 9.0)]
    # A return, and a purchase with no order id: still an order, beside a return or not.
    odd = [("a", dt.datetime(2024, 3, 20, 9), -5.0), ("c", dt.datetime(2024, 3, 1, 9), 7.0)]
    orders = _orders(PAST + later + odd).with_columns(
        pl.when(pl.col("amount") == 7.0).then(None).otherwise(pl.col("order_id")).alias("order_id")
    )
    expected = training_rows(orders, cutoff=CUTOFF, outcome=Outcome.of("churn", 60))
    found = training_rows(to_engine(orders), cutoff=CUTOFF, outcome=Outcome.of("churn", 60))
    assert found.equals(expected)
    assert dict(found.select("customer_id", "orders_90d").iter_rows()) == {"a": 2, "b": 0, "c": 2}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(min_value=0, max_value=250),  # days before the cut-off
            st.floats(min_value=-300, max_value=900, allow_nan=False).map(lambda x: round(x, 2)),
            st.sampled_from(["o1", "o2", "o3", None]),  # shared ids, and none at all
        ),
        min_size=1,
        max_size=14,
    )
)
def test_recent_activity_is_the_features_of_each_window(
    rows: list[tuple[str, int, float, str | None]],
) -> None:
    """The 30/90/180-day columns, built in one pass, are orders and revenue over each window."""
    noon = dt.datetime.combine(CUTOFF, dt.time(12))
    orders = pl.DataFrame(
        [(c, noon - dt.timedelta(days=d), amount, order) for c, d, amount, order in rows],
        schema={
            "customer_id": pl.String,
            "timestamp": pl.Datetime("us"),
            "amount": pl.Float64,
            "order_id": pl.String,
        },
        orient="row",
    )
    found = training_rows(orders, cutoff=CUTOFF, outcome=None)
    people = found.select("customer_id")
    for days in RECENT_DAYS:
        since = CUTOFF - dt.timedelta(days=days)
        window = orders.filter(pl.col("timestamp").dt.date() > since)
        expected = customer_features(window, customers=people, as_of=CUTOFF)
        got = found.select(
            "customer_id",
            pl.col(f"orders_{days}d").alias("orders"),
            pl.col(f"net_revenue_{days}d").alias("net_revenue"),
        )
        assert got.equals(expected.select(got.columns)), days


@pytest.mark.parametrize(
    "rule",
    [
        "churn",
        "purchase",
        "net_revenue >= 80 AND orders BETWEEN 1 AND 3",  # read from orders and revenue alone
        "avg_order_value > 60 OR share_home > 0.5",  # needs the window's whole features
    ],
)
def test_each_outcome_is_its_rule_over_the_windows_features(rule: str) -> None:
    from segwise.datasets import generate_retailer

    orders = generate_retailer(400, seed=3, events=False).orders.rename({"order_date": "timestamp"})
    cutoff, horizon = dt.date(2024, 6, 30), 60
    rows = training_rows(orders, cutoff=cutoff, outcome=Outcome.of(rule, horizon))
    end = cutoff + dt.timedelta(days=horizon)
    day = pl.col("timestamp").dt.date()
    window = customer_features(
        orders.filter((day > cutoff) & (day <= end)),
        customers=rows.select("customer_id"),
        as_of=end,
    )
    text = OUTCOMES.get(rule, rule)
    expected = RuleSegmenter({"yes": text}, exclusive=False, id_col="customer_id", as_of=end)
    flags = (
        expected.fit(window).segment(window).select("customer_id", pl.col("yes").fill_null(False))
    )
    got = rows.select("customer_id", "label").join(flags, on="customer_id")
    assert got.height == rows.height
    assert got["label"].to_list() == got["yes"].to_list()
    assert 0 < got["label"].sum() < got.height  # both outcomes occur


def test_an_outcome_that_does_not_parse_is_named_as_the_outcome() -> None:
    from segwise.exceptions import RuleError

    # It read "rules, segment 'label': …", a segment the user never named.
    with pytest.raises(RuleError, match=r"^outcome: RuleError: .*line 1, col 9"):
        training_rows(_orders(PAST), cutoff=CUTOFF, outcome=Outcome.of("orders >> 2", 30))
