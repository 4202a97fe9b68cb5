"""Distinct histories and per-count lookups equal the plain computations they replace."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import gammaln

from segwise.models import BetaGeoModel
from segwise.models.histories import Histories, by_count, distinct_rows
from segwise.models.predictions import predict_customers


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


def test_predictions_once_per_history_equal_predictions_per_customer(cdnow: pl.DataFrame) -> None:
    model = BetaGeoModel().fit(cdnow)
    histories = Histories.of(cdnow)
    assert len(histories.table["frequency"]) < cdnow.height  # CDNOW repeats histories
    for per_customer, per_history in (
        (model.p_alive(cdnow), model.p_alive(histories.table)),
        (model.expected_purchases(cdnow, 39.0), model.expected_purchases(histories.table, 39.0)),
    ):
        np.testing.assert_array_equal(histories.spread(per_history), per_customer)


def test_a_base_above_the_fit_sample_is_fitted_on_a_seeded_sample(cdnow: pl.DataFrame) -> None:
    summary = cdnow.filter(pl.col("monetary_value") >= 0)
    whole = predict_customers(summary, horizon=39.0)
    sampled = predict_customers(summary, horizon=39.0, fit_sample=1_200)
    again = predict_customers(summary, horizon=39.0, fit_sample=1_200)
    assert whole.fitted_customers == summary.height and whole.fit_note() is None
    assert sampled.fitted_customers == 1_200 and sampled.table.height == summary.height
    assert f"1,200 of {summary.height:,} customers" in (sampled.fit_note() or "")
    assert sampled.purchase_model.params_ == again.purchase_model.params_  # seeded
    assert sampled.purchase_model.params_ != whole.purchase_model.params_
    # Half the customers still predict the base's purchases closely.
    total = whole.table["expected_purchases"].sum()
    assert abs(sampled.table["expected_purchases"].sum() / total - 1) < 0.1
