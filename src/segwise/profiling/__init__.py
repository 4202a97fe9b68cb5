"""Profiling: what segments look like, and whether their definitions hold up (rule lint)."""

from __future__ import annotations

from segwise.profiling.definitions import Definition, define_segments
from segwise.profiling.profiles import SegmentProfile, SegmentProfiles, profile_segments
from segwise.profiling.rule_lint import Finding, RuleLint, lint_rule_catalog

__all__ = [
    "Definition",
    "Finding",
    "RuleLint",
    "SegmentProfile",
    "SegmentProfiles",
    "define_segments",
    "lint_rule_catalog",
    "profile_segments",
]
