"""Measurement: KPIs by segment, experiments within segments, and merge/split advice.

The statistics run on each arm's sufficient statistics, aggregated in the
engine; every test, interval and correction equals the scipy or statsmodels
reference on the same data (the tests compute both).
"""

from __future__ import annotations

from segwise.measure.comparisons import (
    Arm,
    Comparison,
    MetricKind,
    RatioArm,
    compare,
    compare_ratios,
)
from segwise.measure.corrections import CORRECTIONS, Correction, adjust
from segwise.measure.cuped import Adjusted, PairedArm, cuped, variance_reduction
from segwise.measure.heterogeneity import Heterogeneity, heterogeneity
from segwise.measure.power import power_of, proportion_effect, sample_size
from segwise.measure.srm import SRM_ALPHA, RatioCheck, sample_ratio

__all__ = [
    "CORRECTIONS",
    "SRM_ALPHA",
    "Adjusted",
    "Arm",
    "Comparison",
    "Correction",
    "Heterogeneity",
    "MetricKind",
    "PairedArm",
    "RatioArm",
    "RatioCheck",
    "adjust",
    "compare",
    "compare_ratios",
    "cuped",
    "heterogeneity",
    "power_of",
    "proportion_effect",
    "sample_ratio",
    "sample_size",
    "variance_reduction",
]
