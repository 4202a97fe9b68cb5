"""Leak-free training rows: nothing after the cut-off reaches a feature; labels read the window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segwise.segmenters.windows import Outcome, training_rows

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
    expected = training_rows(_orders(PAST + later), cutoff=CUTOFF, outcome=Outcome.of("churn", 60))
    found = training_rows(
        to_engine(_orders(PAST + later)), cutoff=CUTOFF, outcome=Outcome.of("churn", 60)
    )
    assert found.equals(expected)
