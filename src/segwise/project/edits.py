"""The health alert of a segmentation whose definition the user edited since the last run.

A run after an edit moves customers because of the edit: lowering Top customers'
revenue bar from 3,600 to 2,000 on Online Retail II took the segment from 376
customers to 712 as of the same day, and the health checks called it a critical
size change and a critical shift of its customers' revenue, as if the customers
had changed. An edited segmentation gets one alert that says so instead
(:func:`edit_alert`); ``segwise diff`` shows the edit.

What counts as an edit is what decides who is in which segment: the conditions,
the names, the settings and models
(:func:`segwise.store.definitions.edited_segmentations`). A description, a
playbook or tags say what to do with a segment, not who is in it, and are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.privacy.small_groups import below, is_small
from segwise.project.health import Alert

if TYPE_CHECKING:
    import polars as pl

    from segwise.profiling.cards import SegmentationResult

#: Segments named in an edit alert, largest move first.
SHOWN = 3


def edit_alert(result: SegmentationResult, before: pl.DataFrame, run_id: int, k_min: int) -> Alert:
    """One alert for an edited segmentation: its largest moves, said to come from the edit.

    ``before`` is the last run's members of the segmentation; ``run_id`` that run's id.
    """
    was = dict(before.group_by("segment").len().iter_rows())
    now = dict(result.members.group_by("segment").len().iter_rows())

    def count(n: int) -> str:
        return below(k_min) if is_small(n, k_min) and n > 0 else f"{n:,}"

    moved = sorted(
        (s for s in set(was) | set(now) if was.get(s, 0) != now.get(s, 0)),
        key=lambda s: (-abs(now.get(s, 0) - was.get(s, 0)), s),
    )
    moves = ", ".join(f"{s} {count(was.get(s, 0))} → {count(now.get(s, 0))}" for s in moved[:SHOWN])
    more = f" and {len(moved) - SHOWN} more" if len(moved) > SHOWN else ""
    effect = f"its segments moved with the edit ({moves}{more})" if moved else "no segment moved"
    message = (
        f"{result.name}: its definition changed since run {run_id} (segwise diff shows how): "
        f"{effect}, so its size and drift checks are left out this run"
    )
    return Alert(result.name, "", "edited", "warning", float(len(moved)), message)
