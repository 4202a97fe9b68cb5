"""Every segmentation of a run, in the file's order, each one's notes kept with its result.

A warning raised while a segmentation runs (collapsed RFM bins, an unstable
cluster, a tiny segment) is a note on that segmentation: shown on its card and
stored with the run, never swallowed. Other libraries' warnings go on as
warnings.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import TYPE_CHECKING

from segwise.project.methods import RunInputs, method_for

if TYPE_CHECKING:
    from collections.abc import Callable

    from segwise.profiling.cards import SegmentationResult
    from segwise.project.config import ProjectConfig


def run_segmentations(
    config: ProjectConfig, inputs: RunInputs, step: Callable[[str], None]
) -> list[SegmentationResult]:
    """Run each configured segmentation through its method; return every result."""
    results: list[SegmentationResult] = []
    for name, spec in config.segmentations.items():
        step(f"Segmentation '{name}' ({spec.method})")
        earlier = {r.name: r.members for r in results}  # a lookalike's seed may be one of them
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            produced = method_for(spec).run(name, spec, replace(inputs, earlier=earlier))
        keep_notes(produced[0], caught)
        results.extend(produced)
    return results


def keep_notes(result: SegmentationResult, caught: list[warnings.WarningMessage]) -> None:
    """Keep segwise's warnings from a segmentation as notes on its result."""
    notes = result.warnings
    for warning in caught:
        if not warning.category.__module__.startswith("segwise"):
            warnings.warn_explicit(
                warning.message, warning.category, warning.filename, warning.lineno
            )
            continue
        text = str(warning.message)
        if not any(text in note for note in notes):
            notes.append(text)
    result.definition["warnings"] = list(notes)
