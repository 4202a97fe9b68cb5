"""Segmentations, segments, members, customers and changes."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field


class Card(BaseModel):
    """A segment's card: the report's data (name, definition, traits, value, action…)."""

    segment: str
    size: int | None = Field(description="null when fewer than the project's k_min")
    share: float | None
    size_below: int | None = Field(
        default=None, description="set (to k_min) when the segment is too small to show"
    )
    profile: dict[str, Any]


class SegmentationOut(BaseModel):
    """A segmentation of a run with its cards."""

    run_id: int
    segmentation: str
    method: str
    level: str
    definition: dict[str, Any]
    cards: list[Card]


class SizePoint(BaseModel):
    """A segment's size in one run."""

    run_id: int
    as_of: date
    size: int | None = Field(description="null when fewer than the project's k_min")


class SegmentOut(BaseModel):
    """One segment: its card and its size over every stored run."""

    run_id: int
    segmentation: str
    card: Card
    sizes: list[SizePoint]


class MembersPage(BaseModel):
    """A page of member ids; ``next_cursor`` fetches the next (null on the last page)."""

    run_id: int
    segmentation: str
    segment: str
    size: int | None = Field(description="null for a count under the project's k_min")
    members: list[str] | None
    next_cursor: str | None


class CustomerSegment(BaseModel):
    """A segment a customer is in."""

    segmentation: str
    segment: str


class CustomerOut(BaseModel):
    """A customer's segments in the latest run and their path through every run."""

    customer_id: str
    run_id: int
    segments: list[CustomerSegment]
    history: dict[str, Any]


class AlertOut(BaseModel):
    """A run's health alert."""

    run_id: int
    segmentation: str | None
    segment: str | None
    kind: str
    level: str
    value: float | None
    message: str
