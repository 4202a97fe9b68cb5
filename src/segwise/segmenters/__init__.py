"""Segmenters: scikit-learn-style estimators that assign customers to segments.

The estimators import scikit-learn; they load on first use, so reading a
catalog or a project file (``runs``, ``members``) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from segwise.segmenters.rule_catalog import Playbook, RuleCatalog, SegmentDefinition

if TYPE_CHECKING:
    from segwise.segmenters.cluster import ClusterSegmenter, UnstableSegmentWarning
    from segwise.segmenters.hybrid import HybridSegmenter
    from segwise.segmenters.lookalike import LookalikeSegmenter, LookalikeWarning
    from segwise.segmenters.propensity import PropensitySegmenter
    from segwise.segmenters.rfm import RFMSegmenter
    from segwise.segmenters.rules import RuleSegmenter
    from segwise.segmenters.survey import SurveySegmenter

_LAZY = {
    "ClusterSegmenter": "segwise.segmenters.cluster",
    "UnstableSegmentWarning": "segwise.segmenters.cluster",
    "RuleSegmenter": "segwise.segmenters.rules",
    "HybridSegmenter": "segwise.segmenters.hybrid",
    "LookalikeSegmenter": "segwise.segmenters.lookalike",
    "LookalikeWarning": "segwise.segmenters.lookalike",
    "PropensitySegmenter": "segwise.segmenters.propensity",
    "RFMSegmenter": "segwise.segmenters.rfm",
    "SurveySegmenter": "segwise.segmenters.survey",
}

__all__ = [
    "ClusterSegmenter",
    "HybridSegmenter",
    "LookalikeSegmenter",
    "LookalikeWarning",
    "Playbook",
    "PropensitySegmenter",
    "RFMSegmenter",
    "RuleCatalog",
    "RuleSegmenter",
    "SegmentDefinition",
    "SurveySegmenter",
    "UnstableSegmentWarning",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
