"""Profiling: what segments look like, and whether their definitions hold up (rule lint)."""

from __future__ import annotations

from segwise.profiling.rule_lint import Finding, RuleLint, lint_rule_catalog

__all__ = ["Finding", "RuleLint", "lint_rule_catalog"]
