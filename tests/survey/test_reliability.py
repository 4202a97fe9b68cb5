"""Cronbach's α and the factor analysis of the Likert items."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from segwise.survey import cronbach_alpha, explore_factors
from segwise.survey.reliability import alpha_words


def test_alpha_matches_the_formula_worked_by_hand() -> None:
    # Item variances 2.917, 0.917, 3.333; total-score variance 19.667 (ddof 1):
    # α = 3/2 × (1 − 7.167 / 19.667) = 0.9534.
    items = np.array([[1, 2, 1], [3, 3, 4], [5, 4, 5], [2, 2, 2]], dtype=float)
    assert cronbach_alpha(items) == pytest.approx(0.95339, abs=1e-4)


def test_identical_items_have_alpha_one_and_rows_with_gaps_are_left_out() -> None:
    column = np.array([1.0, 2.0, 4.0, 5.0, np.nan])
    assert cronbach_alpha(np.column_stack([column, column, column])) == pytest.approx(1.0)
    assert np.isnan(cronbach_alpha(np.array([[1.0], [2.0]])))


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (12, 4), elements=st.integers(1, 5).map(float)))
def test_alpha_is_never_above_one(items: np.ndarray) -> None:
    alpha = cronbach_alpha(items)
    assert np.isnan(alpha) or alpha <= 1.0 + 1e-9


def test_alpha_reads_in_the_usual_words() -> None:
    assert [alpha_words(a) for a in (0.95, 0.85, 0.75, 0.65, 0.3)] == [
        "excellent", "good", "acceptable", "questionable", "poor",
    ]  # fmt: skip


def test_independent_constructs_come_back_as_one_factor_each() -> None:
    rng = np.random.default_rng(4)
    latent = rng.normal(size=(800, 3))
    columns, constructs = {}, {}
    for c, name in enumerate(("price", "quality", "novelty")):
        for i in range(4):
            columns[f"{name}{i}"] = latent[:, c] + rng.normal(0, 0.6, 800)
            constructs[f"{name}{i}"] = name
    found = explore_factors(pl.DataFrame(columns), constructs)
    assert found is not None
    assert found.factors == 3
    assert found.split_constructs() == {}
    strongest = found.factor_of()
    assert len({strongest[f"price{i}"] for i in range(4)}) == 1
    assert strongest["price0"] != strongest["quality0"] != strongest["novelty0"]


def test_too_few_items_give_no_factor_analysis() -> None:
    assert (
        explore_factors(pl.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}), {"a": None, "b": None})
        is None
    )
