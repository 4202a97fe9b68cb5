"""The classifiers behind propensity models: regularised by size, LightGBM when installed."""

from __future__ import annotations

import sys
from typing import Any

import pytest

import segwise as sw
from segwise.datasets import sample_paths
from segwise.exceptions import ConfigError
from segwise.segmenters.propensity import PropensitySegmenter
from segwise.segmenters.propensity_models import gradient_boosting, lightgbm_classifier


def test_leaves_grow_with_the_training_rows_between_20_and_200() -> None:
    sizes = [gradient_boosting([False], rows).min_samples_leaf for rows in (500, 5_000, 10**6)]
    assert sizes == [20, 50, 200]


def test_lightgbm_learns_churn_and_beats_recency() -> None:
    pytest.importorskip("lightgbm")
    orders: Any = sw.read_transactions(sample_paths()["orders"])
    fitted = PropensitySegmenter(
        "churn", 90, cutoffs=3, step_days=30, estimator=lightgbm_classifier(0)
    ).fit(orders)
    assert type(fitted.model_).__name__ == "LGBMClassifier"
    assert fitted.backtest_.auc > fitted.backtest_.baseline_auc


def test_lightgbm_missing_is_one_line_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # what an absent package looks like
    with pytest.raises(ConfigError, match="needs the lightgbm package") as caught:
        lightgbm_classifier()
    assert "segwise[lightgbm]" in str(caught.value.hint)
