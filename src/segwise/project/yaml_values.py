"""Pieces of a generated project file: YAML scalars, rounded thresholds, rule lists."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import polars as pl

if TYPE_CHECKING:
    from collections.abc import Sequence

#: One candidate rule: name, description, condition text, playbook, the condition in Polars.
Candidate = tuple[str, str, str, str, pl.Expr]


def readable(value: float) -> float:
    """Two significant figures: 1234.5 → 1200, 87 → 87, 0.3 → 0.3.

    >>> readable(1234.5), readable(87.0), readable(0.3)
    (1200.0, 87.0, 0.3)
    """
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.2g}")


def number(value: float) -> str:
    """A threshold as the file shows it: 1200.0 → "1200", 0.25 → "0.25"."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def yaml_text(value: str) -> str:
    """A YAML scalar that reads back as the same text (names with spaces, colons…)."""
    plain = value.replace(" ", "").replace("_", "").isalnum() and value.strip() == value
    if plain and value.lower() not in {"yes", "no", "true", "false", "null", "on", "off"}:
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def rule_lines(
    features: pl.DataFrame, candidates: Sequence[Candidate], min_share: float
) -> tuple[list[str], list[str]]:
    """The YAML lines of an exclusive rule list, and a note for each rule left out.

    Rules match first by priority; a rule is kept only when the customers it
    would get (those no earlier rule took) are at least ``min_share`` of all.

    Examples
    --------
    >>> features = pl.DataFrame({"orders": [0, 1, 1, 5]})
    >>> lines, notes = rule_lines(features, [
    ...     ("Big", "Many orders", "orders >= 5", "Thank them", pl.col("orders") >= 5),
    ...     ("Huge", "Very many", "orders >= 50", "Call them", pl.col("orders") >= 50)], 0.1)
    >>> [line.strip() for line in lines[:2]]
    ['- name: Big', 'description: Many orders']
    >>> notes
    ["rule 'Huge' left out: it would hold 0.0% of customers"]
    """
    taken = pl.lit(value=False)
    lines: list[str] = []
    notes: list[str] = []
    priority = 1
    for name, description, where, action, matches in candidates:
        condition = matches.fill_null(value=False)  # no value is no match
        share = features.select((condition & ~taken).mean()).item() if features.height else 0.0
        if not share or share < min_share:
            notes.append(f"rule '{name}' left out: it would hold {share or 0:.1%} of customers")
            continue
        taken = taken | condition
        lines += [
            f"      - name: {name}",
            f"        description: {yaml_text(description)}",
            f'        where: "{where}"',
            f"        priority: {priority}",
            f"        playbook: {{messaging: {yaml_text(action)}}}",
        ]
        priority += 1
    return lines, notes
