"""Impossible feature values sent to /classify are refused, naming the attribute."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from segwise.exceptions import ConfigError
from segwise.project.feature_domains import check_feature_value


@pytest.mark.parametrize(
    ("column", "value", "dtype", "said"),
    [
        ("recency_days", -5, pl.Int64(), "-5 is negative, which recency_days never is"),
        ("value.frequency", -1, pl.Int64(), "-1 is negative"),
        ("visit_30d", -2, pl.Int64(), "-2 is negative"),
        ("days_since_last_login", -0.5, pl.Float64(), "is negative"),
        ("orders", 2.5, pl.Int64(), "2.5 is not a whole number"),
        ("future.p_alive", 1.7, pl.Float64(), "1.7 is not a probability (0 to 1)"),
        ("share_garden", -0.1, pl.Float64(), "is not a probability"),
        ("value.r_score", 0, pl.Int64(), "below the lowest score, 1"),
        ("future.clv", float("nan"), pl.Float64(), "nan is not a number"),
    ],
)
def test_impossible_values_are_refused_with_the_attribute_named(
    column: str, value: float, dtype: pl.DataType, said: str
) -> None:
    with pytest.raises(ConfigError, match=f"attribute '{column}'") as caught:
        check_feature_value(column, value, dtype)
    assert said in str(caught.value)


def test_the_users_own_attributes_keep_their_values() -> None:
    # A customer table's columns are the user's: a negative balance is a balance.
    for column in ("balance", "net_revenue", "age", "household_size"):
        check_feature_value(column, -3, pl.Int64())
    check_feature_value("orders", 2.0, pl.Int64())  # a whole number written as a float
    check_feature_value("orders", None, pl.Int64())  # unknown
    check_feature_value("device", "ios", pl.String())


@given(st.floats(min_value=0, max_value=1))
def test_every_probability_is_accepted(p: float) -> None:
    check_feature_value("p_alive", p, pl.Float64())


@given(st.integers(min_value=0, max_value=10**9))
def test_every_count_of_days_from_zero_is_accepted(days: int) -> None:
    check_feature_value("tenure_days", days, pl.Int64())
