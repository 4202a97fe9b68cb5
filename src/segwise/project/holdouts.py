"""Standing holdouts: the share of each segment that no activation reaches.

A segmentation (``holdout: 5%``) or a destination may declare one. Who is held
out is decided by a hash of the customer id and a salt
(:func:`segwise.measure.assignment.held_out`), so it is the same customers on
every run and every sync, without storing a list: ``holdout:<segmentation>``
(or ``holdout:<destination>``) unless ``holdout_salt`` says otherwise. A
segmentation's holdout keeps its customers out of every destination and
trigger that sends its segments; ``segwise kpis`` compares them with the
targeted rest of their segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.measure.assignment import held_out

if TYPE_CHECKING:
    from segwise.activation.destinations import Destination
    from segwise.project.pipeline import Project


def salt_of(name: str, salt: str | None) -> str:
    """The holdout's salt: the one given, else ``holdout:<name>``."""
    return salt or f"holdout:{name}"


def segmentation_holdout(project: Project, segmentation: str) -> tuple[float, str] | None:
    """The segmentation's holdout share and salt, None without one."""
    spec = project.config.segmentations.get(segmentation)
    if spec is None or spec.holdout is None:
        return None
    return spec.holdout, salt_of(segmentation, spec.holdout_salt)


def withheld(
    project: Project,
    members: pl.DataFrame,
    *,
    destination: str | None = None,
    spec: Destination | None = None,
) -> pl.DataFrame:
    """The rows of ``members`` (``segmentation, segment, customer_id``) kept out by holdouts.

    A segmentation's holdout withholds its rows; the destination's holdout, every row.
    """
    parts = []
    for segmentation in members["segmentation"].unique(maintain_order=True).to_list():
        found = segmentation_holdout(project, segmentation)
        if found is not None:
            rows = members.filter(pl.col("segmentation") == segmentation)
            parts.append(rows.filter(held_out(rows["customer_id"], *found)))
    if destination is not None and spec is not None and spec.holdout is not None:
        salt = salt_of(destination, spec.holdout_salt)
        parts.append(members.filter(held_out(members["customer_id"], spec.holdout, salt)))
    if not parts:
        return members.clear()
    return pl.concat(parts).unique(maintain_order=True)
