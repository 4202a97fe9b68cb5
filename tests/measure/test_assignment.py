"""Deterministic assignment: the engine's buckets equal the Python reference."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from segwise.exceptions import ConfigError
from segwise.measure.assignment import assign, bucket


def ids(n: int, prefix: str = "C") -> pl.Series:
    return pl.Series("customer_id", [f"{prefix}{i:06d}" for i in range(n)])


@given(
    customers=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=50, unique=True),
    salt=st.text(max_size=10),
    split=st.lists(st.integers(1, 9), min_size=2, max_size=4),
)
def test_the_engine_places_each_customer_where_the_reference_does(
    customers: list[str], salt: str, split: list[int]
) -> None:
    variants = [f"v{i}" for i in range(len(split))]
    found = assign(pl.Series("customer_id", customers), variants, split, salt)
    cuts = [sum(split[: i + 1]) / sum(split) for i in range(len(split))]
    expected = [variants[next(i for i, c in enumerate(cuts) if bucket(c_id, salt) < c)]
                for c_id in customers]  # fmt: skip
    assert dict(found.iter_rows()) == dict(zip(customers, expected, strict=True))


def test_shares_follow_the_split_and_new_customers_move_no_one() -> None:
    first = assign(ids(20_000), ["control", "offer"], [90, 10], "spring")
    counts = first["variant"].value_counts().sort("variant")["count"].to_list()
    assert stats.chisquare(counts, [18_000, 2_000]).pvalue > 0.001
    grown = assign(ids(30_000), ["control", "offer"], [90, 10], "spring")
    assert grown.head(20_000).equals(first)


def test_a_new_salt_reshuffles_so_experiments_are_independent() -> None:
    spring = assign(ids(20_000), ["A", "B"], [1, 1], "spring")["variant"]
    summer = assign(ids(20_000), ["A", "B"], [1, 1], "summer")["variant"]
    table = pl.DataFrame({"spring": spring, "summer": summer}).group_by("spring", "summer").len()
    assert table.height == 4
    # Independent: each cell near a quarter (a chi-square test of independence passes).
    cells = table.sort("spring", "summer")["len"].to_numpy().reshape(2, 2)
    assert stats.chi2_contingency(cells).pvalue > 0.001


@pytest.mark.parametrize(
    ("variants", "split", "message"),
    [
        (["A"], [1], "at least two"),
        (["A", "A"], [1, 1], "repeat"),
        (["A", "B"], [1], "one share per variant"),
        (["A", "B"], [1, 0], "above 0"),
    ],
)
def test_bad_designs_are_refused(variants: list[str], split: list[float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        assign(ids(3), variants, split, "s")
