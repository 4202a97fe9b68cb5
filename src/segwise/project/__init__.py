"""The ``segwise.yaml`` project: its config model and the pipeline that runs it.

The pipeline imports every method's dependencies; it loads on first use, so
``open_workspace`` (what ``segwise runs`` and ``members`` need) stays quick.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from segwise.project.config import ProjectConfig
from segwise.project.workspace import open_workspace

if TYPE_CHECKING:
    from segwise.project.pipeline import Project, Refresh, RunResult
    from segwise.project.results import SegmentationResult

__all__ = [
    "Project",
    "ProjectConfig",
    "Refresh",
    "RunResult",
    "SegmentationResult",
    "open_workspace",
]


def __getattr__(name: str) -> Any:
    if name in {"Project", "Refresh", "RunResult"}:
        return getattr(importlib.import_module("segwise.project.pipeline"), name)
    if name == "SegmentationResult":
        return importlib.import_module("segwise.project.results").SegmentationResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
