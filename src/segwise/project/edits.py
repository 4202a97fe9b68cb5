"""Segmentations whose definition the user edited since the last run.

A run after an edit moves customers because of the edit: lowering Top customers'
revenue bar from 3,600 to 2,000 on Online Retail II took the segment from 376
customers to 712 as of the same day, and the health checks called it a critical
size change and a critical shift of its customers' revenue, as if the customers
had changed. An edited segmentation gets one alert that says so instead
(:func:`edit_alert`); ``segwise diff`` shows the edit.

What counts as an edit is what decides who is in which segment: the conditions,
the names, the settings and models. A description, a playbook or tags say what
to do with a segment, not who is in it, and are left out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from segwise.privacy.small_groups import below, is_small
from segwise.project.health import Alert
from segwise.store.definitions import canonical

if TYPE_CHECKING:
    from collections.abc import Sequence

    import polars as pl

    from segwise.profiling.cards import SegmentationResult

#: Words about a segment that do not decide its members.
NOT_DECIDING = frozenset({"description", "playbook", "tags"})
#: Segments named in an edit alert, largest move first.
SHOWN = 3


def _deciding(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _deciding(v) for k, v in node.items() if k not in NOT_DECIDING}
    if isinstance(node, list):
        return [_deciding(v) for v in node]
    return node


def _specs(config_text: str | None) -> dict[str, Any]:
    try:
        document = yaml.safe_load(config_text or "") or {}
    except yaml.YAMLError:
        return {}  # a stored text that no longer parses: nothing to compare with
    found = document.get("segmentations") if isinstance(document, dict) else None
    return found if isinstance(found, dict) else {}


def edited_segmentations(
    before_config: str | None,
    before_definitions: dict[str, dict[str, Any]],
    now_config: str,
    results: Sequence[SegmentationResult],
) -> set[str]:
    r"""The names of ``results`` edited since the run that read ``before_config``.

    Rule segmentations are compared on their stored definitions (a catalog file's
    rules are there, not in the project file); the other methods on the project
    file, since their stored definitions also hold what each run fits afresh.

    Examples
    --------
    >>> from types import SimpleNamespace as Result
    >>> before = "segmentations:\n  v: {method: rfm, bins: 5, description: old}\n"
    >>> now = "segmentations:\n  v: {method: rfm, bins: 5, description: new}\n"
    >>> value = [Result(name="v", method="rfm")]
    >>> edited_segmentations(before, {}, now, value)
    set()
    >>> edited_segmentations(before, {}, now.replace("5", "4"), value)
    {'v'}
    """
    was, now = _specs(before_config), _specs(now_config)
    found = set()
    for result in results:
        old: Any
        new: Any
        if result.method == "rules" and result.name in before_definitions:
            old = before_definitions[result.name]
            new = result.definition
        elif result.name in was:
            old, new = was[result.name], now.get(result.name)
        else:
            continue  # a new segmentation: nothing to compare with
        if canonical(_deciding(old)) != canonical(_deciding(new or {})):
            found.add(result.name)
    return found


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
