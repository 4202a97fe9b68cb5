"""Customer-level features computed as of a date: the BTYD summary, RFM, behaviour."""

from __future__ import annotations

from segwise.features.summary import calibration_and_holdout_data, rfm_summary, rfm_train_test_split

__all__ = ["calibration_and_holdout_data", "rfm_summary", "rfm_train_test_split"]
