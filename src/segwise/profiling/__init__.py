"""Profiling: what segments look like, and whether their definitions hold up (rule lint).

The names load on first use: segment definitions import scikit-learn's trees, and the
commands that only read cards (``sync``, ``export``, ``members``) should not pay for that.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from segwise.profiling.definitions import Definition, define_segments
    from segwise.profiling.profiles import SegmentProfile, SegmentProfiles, profile_segments
    from segwise.profiling.rule_lint import Finding, RuleLint, lint_rule_catalog

_HOMES = {
    "Definition": "segwise.profiling.definitions",
    "define_segments": "segwise.profiling.definitions",
    "SegmentProfile": "segwise.profiling.profiles",
    "SegmentProfiles": "segwise.profiling.profiles",
    "profile_segments": "segwise.profiling.profiles",
    "Finding": "segwise.profiling.rule_lint",
    "RuleLint": "segwise.profiling.rule_lint",
    "lint_rule_catalog": "segwise.profiling.rule_lint",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'segwise.profiling' has no attribute {name!r}")


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
