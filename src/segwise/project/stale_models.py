"""Frozen cluster models that no longer fit their customers: one alert per model.

A kept model (``model: PATH``) assigns every run's customers to the segments it was
fitted with. The run checks it against a fresh fit (``staleness``) and against the
values it was fitted on (``outgrown``); either finding becomes an alert here, a hybrid's
models inside its parents under the parent's name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from segwise.project.health import Alert

if TYPE_CHECKING:
    from collections.abc import Sequence

    from segwise.profiling.cards import SegmentationResult


def stale_model_alerts(results: Sequence[SegmentationResult]) -> list[Alert]:
    """Frozen cluster models that no longer fit their customers.

    A fresh fit disagrees with the model (see ``stale_after``), or today's customers lie
    beyond the values it was fitted on (more than 5% of them Outliers). A hybrid's
    models inside its parents (``within``) are checked too, under the parent's name.
    """
    found = []
    for result in results:
        within = result.definition.get("within") or {}
        models = [("", result.definition)] + [(f"in '{p}': ", d) for p, d in within.items()]
        for where, definition in models:
            outgrown = definition.get("outgrown")
            if outgrown:
                note = f"{result.name}: {where}{outgrown['note']}"
                found.append(
                    Alert(result.name, "", "stale_model", "warning", float(outgrown["share"]), note)
                )
            staleness = definition.get("staleness") or {}
            if staleness.get("stale"):
                note = f"{result.name}: {where}{staleness['note']}"
                agreement = float(staleness["agreement"])
                found.append(Alert(result.name, "", "stale_model", "warning", agreement, note))
    return found
