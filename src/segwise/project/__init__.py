"""The ``segwise.yaml`` project: its config model and the pipeline that runs it."""

from __future__ import annotations

from segwise.project.config import ProjectConfig
from segwise.project.pipeline import Project, RunResult, SegmentationResult

__all__ = ["Project", "ProjectConfig", "RunResult", "SegmentationResult"]
