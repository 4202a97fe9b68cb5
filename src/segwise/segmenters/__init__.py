"""Segmenters: scikit-learn-style estimators that assign customers to segments."""

from __future__ import annotations

from segwise.segmenters.cluster import ClusterSegmenter, UnstableSegmentWarning
from segwise.segmenters.rule_catalog import Playbook, RuleCatalog, SegmentDefinition
from segwise.segmenters.rules import RuleSegmenter

__all__ = [
    "ClusterSegmenter",
    "Playbook",
    "RuleCatalog",
    "RuleSegmenter",
    "SegmentDefinition",
    "UnstableSegmentWarning",
]
