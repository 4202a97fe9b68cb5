"""segwise: customer segmentation from raw data to actionable, fresh segments.

Examples
--------
>>> import segwise as sw
>>> sw.__version__ >= "0.1"
True
"""

from __future__ import annotations

from segwise._version import __version__
from segwise.exceptions import (
    ColumnNotFoundError,
    ConfigError,
    DataError,
    RuleError,
    RuleSyntaxError,
    SegwiseError,
)
from segwise.features import (
    ScoreMap,
    calibration_and_holdout_data,
    customer_features,
    rfm_summary,
    rfm_table,
    rfm_train_test_split,
)
from segwise.io import (
    CleaningPolicy,
    Dataset,
    QualityReport,
    read_customers,
    read_events,
    read_transactions,
)
from segwise.lang import Rule, parse_rule
from segwise.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel
from segwise.profiling import lint_rule_catalog, profile_segments
from segwise.segmenters import ClusterSegmenter, RuleCatalog, RuleSegmenter

__all__ = [
    "BetaGeoModel",
    "CleaningPolicy",
    "ClusterSegmenter",
    "ColumnNotFoundError",
    "ConfigError",
    "DataError",
    "Dataset",
    "GammaGammaModel",
    "ParetoNBDModel",
    "QualityReport",
    "Rule",
    "RuleCatalog",
    "RuleError",
    "RuleSegmenter",
    "RuleSyntaxError",
    "ScoreMap",
    "SegwiseError",
    "__version__",
    "calibration_and_holdout_data",
    "customer_features",
    "lint_rule_catalog",
    "parse_rule",
    "profile_segments",
    "read_customers",
    "read_events",
    "read_transactions",
    "rfm_summary",
    "rfm_table",
    "rfm_train_test_split",
]
