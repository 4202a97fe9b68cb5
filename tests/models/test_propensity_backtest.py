"""Backtest measures of a propensity score: calibration error, curve, deciles, AUCs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.models.propensity_backtest import (
    backtest,
    deciles,
    expected_calibration_error,
    rank_auc,
)


def test_a_calibrated_score_has_a_small_error_and_a_shifted_one_does_not() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 50_000)
    y = (rng.uniform(0, 1, p.size) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.01
    assert expected_calibration_error(y, np.clip(p + 0.2, 0, 1)) > 0.15


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.floats(0, 1, allow_nan=False)), min_size=1, max_size=200)
)
def test_deciles_capture_everyone_once_and_ece_is_a_share(pairs: list[tuple[bool, float]]) -> None:
    y = np.array([float(a) for a, _ in pairs])
    p = np.array([b for _, b in pairs])
    rows = deciles(y, p)
    assert sum(r["customers"] for r in rows) == len(y)
    captures = [r["capture"] for r in rows]
    if y.sum():
        assert captures == sorted(captures) and captures[-1] == pytest.approx(1.0)
    assert 0.0 <= expected_calibration_error(y, p) <= 1.0


def test_the_baseline_is_judged_in_its_better_direction() -> None:
    y = np.array([0, 0, 1, 1, 1])
    score = np.array([0.1, 0.5, 0.6, 0.4, 0.9])  # one pair out of order
    recency = np.array([300.0, 200.0, 5.0, 50.0, 1.0])  # low recency = the outcome here
    found = backtest(y, score, recency, baseline_name="recency_days")
    assert found.baseline_auc == pytest.approx(1.0)
    assert found.auc == pytest.approx(5 / 6)
    assert found.positives == 3 and found.rows == 5


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(0, 6), st.integers(0, 6)), min_size=2, max_size=60
    ).filter(lambda rows: len({label for label, _, _ in rows}) == 2)
)
def test_rank_auc_is_scikit_learns_roc_auc(rows: list[tuple[bool, int, int]]) -> None:
    from sklearn.metrics import roc_auc_score

    y = np.array([label for label, _, _ in rows], dtype=int)
    # Scores from a few values: ties (within and across the classes) are the hard part.
    scores = np.array([[a / 6 for _, a, _ in rows], [b / 6 for _, _, b in rows]])
    found = rank_auc(y, scores)
    assert found.shape == (2,)
    for row, value in zip(scores, found, strict=True):
        assert value == pytest.approx(roc_auc_score(y, row), abs=1e-12)
