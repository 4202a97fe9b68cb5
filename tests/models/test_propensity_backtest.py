"""Backtest measures of a propensity score: calibration error, curve, deciles, AUCs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segwise.models.propensity_backtest import backtest, deciles, expected_calibration_error


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
