"""How a drafted project file reads a source: the columns its roles name, and its overlaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.io.overlaps import REPEATED, repeated_from_earlier_parts
from segwise.project.yaml_values import yaml_text

if TYPE_CHECKING:
    from segwise.io.dataset import Dataset
    from segwise.io.quality import QualityReport


def roles_block(dataset: Dataset, keys: tuple[str, ...]) -> list[str]:
    """The YAML lines naming the columns that play ``keys`` (as the reader recognised them).

    Files read as one (a folder of exports) are each read with the roles a project file
    names: a role their columns play under different names (``CustomerID`` in one,
    ``Customer ID`` in another) is left to be recognised in each, and a comment says so.
    """
    parts: list[Dataset] = list(getattr(dataset, "parts", [dataset]))
    named = [part.roles.columns for part in parts]
    agreed = {k: v for k, v in named[0].items() if all(other.get(k) == v for other in named)}
    computed = all(part.roles.amount_is_computed for part in parts)
    lines = []
    for key in keys:
        if key in agreed and not (key == "amount" and computed):
            lines.append(f"    {key}: {yaml_text(agreed[key])}")
    if computed and {"quantity", "unit_price"} <= agreed.keys():
        lines.append(
            f"    amount: {{quantity: {yaml_text(agreed['quantity'])}, "
            f"unit_price: {yaml_text(agreed['unit_price'])}}}"
        )
    differing = [
        key
        for key in (*keys, *(("quantity", "unit_price") if "amount" in keys else ()))
        if any(key in roles for roles in named) and key not in agreed
    ]
    if differing:
        lines += [
            f"    # The files name {_listed(differing)} differently: each file's column is",
            "    # recognised by its name. Name one here only if every file has it.",
        ]
    return lines


def _listed(keys: list[str]) -> str:
    return ", ".join(keys[:-1]) + " and " + keys[-1] if len(keys) > 1 else keys[0]


def overlapping(tx: Dataset) -> bool:
    """Files read as one that repeat each other's rows (exports that overlap in time)."""
    parts: list[Dataset] = getattr(tx, "parts", [])
    return (
        len(parts) > 1
        and tx.policy.duplicates == "keep"
        and bool(repeated_from_earlier_parts(parts))
    )


def overlap_lines(quality: QualityReport) -> list[str]:
    """``duplicates: drop``, said, where the files overlap in time (:func:`overlapping`)."""
    rows = quality.excluded.get(REPEATED, 0)
    if not rows:
        return []
    return [
        "    duplicates: drop",
        f"    # {rows:,} rows of a later file repeat an earlier file's (exports that overlap in",
        "    # time): drop quarantines them, and each file's exact copies; keep counts them twice.",
    ]
