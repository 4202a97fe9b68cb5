"""Customer-level features computed as of a date: the BTYD summary, RFM, behaviour."""

from __future__ import annotations

from segwise.features.behaviour import customer_features
from segwise.features.customer_table import customer_summary, rfm_table_customer
from segwise.features.rfm import RFM_PRESETS, RFMPreset, rfm_metrics, rfm_table
from segwise.features.rfm_peers import RFMBinningWarning
from segwise.features.score_map import MapLint, ScoreMap, lint_score_map
from segwise.features.summary import calibration_and_holdout_data, rfm_summary, rfm_train_test_split

__all__ = [
    "RFM_PRESETS",
    "MapLint",
    "RFMBinningWarning",
    "RFMPreset",
    "ScoreMap",
    "calibration_and_holdout_data",
    "customer_features",
    "customer_summary",
    "lint_score_map",
    "rfm_metrics",
    "rfm_summary",
    "rfm_table",
    "rfm_table_customer",
    "rfm_train_test_split",
]
