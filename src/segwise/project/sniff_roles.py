"""The roles a drafted project file names: the columns its sources' readers recognised."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.project.yaml_values import yaml_text

if TYPE_CHECKING:
    from segwise.io.dataset import Dataset


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
