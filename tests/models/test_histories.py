"""Distinct histories and per-count lookups equal the plain computations they replace."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln

from segwise.models.histories import by_count, distinct_rows


@settings(max_examples=80)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e9]),
            st.sampled_from([0.0, 3.0, 3.5]),
            st.integers(0, 2).map(float),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_distinct_rows_are_numpy_unique_rows(rows: list[tuple[float, float, float]]) -> None:
    matrix = np.array(rows)
    distinct, inverse = distinct_rows(matrix)
    expected, expected_inverse = np.unique(matrix, axis=0, return_inverse=True)
    assert np.array_equal(distinct, expected)
    assert np.array_equal(inverse, expected_inverse.ravel())
    assert np.array_equal(distinct[inverse], matrix)


@given(counts=st.lists(st.integers(0, 60), min_size=1, max_size=3_000))
def test_by_count_equals_the_function_on_every_row(counts: list[int]) -> None:
    x = np.array(counts, dtype=float)
    assert np.array_equal(by_count(lambda k: gammaln(0.3 + k), x), gammaln(0.3 + x))


def test_by_count_leaves_fractions_and_huge_counts_to_the_function() -> None:
    fractions = np.linspace(0.0, 5.0, 2_001)
    assert np.array_equal(by_count(np.sqrt, fractions), np.sqrt(fractions))
    huge = np.concatenate([np.zeros(1_999), [1e12]])
    assert np.array_equal(by_count(np.log1p, huge), np.log1p(huge))
