"""Values written into a generated project file: YAML scalars and rounded thresholds."""

from __future__ import annotations

import math


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
