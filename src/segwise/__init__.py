"""segwise: customer segmentation from raw data to actionable, fresh segments.

Examples
--------
>>> import segwise as sw
>>> sw.__version__ >= "0.1"
True
"""

from __future__ import annotations

import importlib
import importlib.util
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

if TYPE_CHECKING:
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

# Every public name but the errors and the version loads on first use: the models pull
# SciPy, the segmenters scikit-learn, the project the whole pipeline, and the readers
# Polars; `import segwise` (and `segwise --version`) loads none of them.
_LAZY = {
    "ScoreMap": "segwise.features",
    "calibration_and_holdout_data": "segwise.features",
    "customer_features": "segwise.features",
    "customer_summary": "segwise.features",
    "rfm_summary": "segwise.features",
    "rfm_table": "segwise.features",
    "rfm_table_customer": "segwise.features",
    "rfm_train_test_split": "segwise.features",
    "CleaningPolicy": "segwise.io",
    "Dataset": "segwise.io",
    "QualityReport": "segwise.io",
    "SourceOptions": "segwise.io",
    "read_accounts": "segwise.io",
    "read_consents": "segwise.io",
    "read_customers": "segwise.io",
    "read_events": "segwise.io",
    "read_exposures": "segwise.io",
    "read_outcomes": "segwise.io",
    "read_responses": "segwise.io",
    "read_transactions": "segwise.io",
    "Rule": "segwise.lang",
    "parse_rule": "segwise.lang",
    "BetaGeoBetaBinomModel": "segwise.models",
    "BetaGeoModel": "segwise.models",
    "GammaGammaModel": "segwise.models",
    "ModifiedBetaGeoModel": "segwise.models",
    "ParetoNBDModel": "segwise.models",
    "ShiftedBetaGeoModel": "segwise.models",
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
    elif not name.startswith("_") and importlib.util.find_spec(f"segwise.{name}") is not None:
        value = importlib.import_module(f"segwise.{name}")  # `sw.models`, as when eager
    else:
        raise AttributeError(f"module 'segwise' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
