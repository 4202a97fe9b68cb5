"""segwise: customer segmentation from raw data to actionable, fresh segments.

Examples
--------
>>> import segwise as sw
>>> sw.__version__ >= "0.1"
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
    customer_summary,
    rfm_summary,
    rfm_table,
    rfm_table_customer,
    rfm_train_test_split,
)
from segwise.io import (
    CleaningPolicy,
    Dataset,
    QualityReport,
    SourceOptions,
    read_accounts,
    read_consents,
    read_customers,
    read_events,
    read_exposures,
    read_outcomes,
    read_responses,
    read_transactions,
)
from segwise.lang import Rule, parse_rule
from segwise.models import (
    BetaGeoBetaBinomModel,
    BetaGeoModel,
    GammaGammaModel,
    ModifiedBetaGeoModel,
    ParetoNBDModel,
    ShiftedBetaGeoModel,
)

if TYPE_CHECKING:
    from segwise.profiling import lint_rule_catalog, profile_segments
    from segwise.project import Project
    from segwise.segmenters import (
        ClusterSegmenter,
        HybridSegmenter,
        LookalikeSegmenter,
        PropensitySegmenter,
        RFMSegmenter,
        RuleCatalog,
        RuleSegmenter,
        SurveySegmenter,
    )

# Names whose modules import scikit-learn, Plotly or the whole pipeline load on first use,
# so `import segwise` (and `segwise --version`) stays quick.
_LAZY = {
    "ClusterSegmenter": "segwise.segmenters",
    "HybridSegmenter": "segwise.segmenters",
    "LookalikeSegmenter": "segwise.segmenters",
    "PropensitySegmenter": "segwise.segmenters",
    "RuleCatalog": "segwise.segmenters",
    "RuleSegmenter": "segwise.segmenters",
    "RFMSegmenter": "segwise.segmenters",
    "SurveySegmenter": "segwise.segmenters",
    "lint_rule_catalog": "segwise.profiling",
    "profile_segments": "segwise.profiling",
    "Project": "segwise.project",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'segwise' has no attribute {name!r}")


__all__ = [
    "BetaGeoBetaBinomModel",
    "BetaGeoModel",
    "CleaningPolicy",
    "ClusterSegmenter",
    "ColumnNotFoundError",
    "ConfigError",
    "DataError",
    "Dataset",
    "GammaGammaModel",
    "HybridSegmenter",
    "LookalikeSegmenter",
    "ModifiedBetaGeoModel",
    "ParetoNBDModel",
    "Project",
    "PropensitySegmenter",
    "QualityReport",
    "RFMSegmenter",
    "Rule",
    "RuleCatalog",
    "RuleError",
    "RuleSegmenter",
    "RuleSyntaxError",
    "ScoreMap",
    "SegwiseError",
    "ShiftedBetaGeoModel",
    "SourceOptions",
    "SurveySegmenter",
    "__version__",
    "calibration_and_holdout_data",
    "customer_features",
    "customer_summary",
    "lint_rule_catalog",
    "parse_rule",
    "profile_segments",
    "read_accounts",
    "read_consents",
    "read_customers",
    "read_events",
    "read_exposures",
    "read_outcomes",
    "read_responses",
    "read_transactions",
    "rfm_summary",
    "rfm_table",
    "rfm_table_customer",
    "rfm_train_test_split",
]
