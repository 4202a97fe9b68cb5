"""Runs and run jobs."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from segwise.api.schemas.common import LocalTime, RequestBody


class RunOut(BaseModel):
    """One stored run."""

    run_id: int
    as_of: date
    started_at: LocalTime
    finished_at: LocalTime | None
    engine: str
    customers: int
    config_hash: str
    segwise_version: str | None
    report_written: bool


class SegmentSize(BaseModel):
    """A segment's size and share in a run."""

    segment: str
    size: int
    share: float


class SegmentationSummary(BaseModel):
    """One segmentation of a run, with its segments' sizes."""

    segmentation: str
    method: str
    level: str
    segments: list[SegmentSize]


class RunDetail(RunOut):
    """A run and its segmentations."""

    segmentations: list[SegmentationSummary]


class RunRequest(RequestBody):
    """Start a run (optionally as of another date)."""

    as_of: date | None = Field(default=None, description="overrides the project's as-of date")


class JobOut(BaseModel):
    """A run or a sync started by the service."""

    job_id: str
    state: str
    step: str | None
    run_id: int | None
    error: str | None
    started_at: str
    finished_at: str | None
    kind: str = Field(default="run", description="run or sync")
    summary: dict[str, Any] | None = Field(
        default=None, description="a finished sync: status and counts per destination and trigger"
    )
