"""Rule checking, live preview, explanation, impact preview and classification."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from segwise.api.schemas.common import RequestBody


class SegmentIn(BaseModel):
    """One rule segment as the project file writes it."""

    model_config = {"extra": "allow"}

    name: str = Field(min_length=1, max_length=64)
    where: str | None = Field(default=None, max_length=20_000)


class CheckRequest(RequestBody):
    """A rule, or a catalog of segments, to parse and lint."""

    rule: str | None = Field(default=None, max_length=20_000)
    segments: list[SegmentIn] | None = Field(default=None, max_length=64)
    exclusive: bool = True

    @model_validator(mode="after")
    def _one_of_rule_and_segments(self) -> CheckRequest:
        # Neither would check nothing and answer "valid"; both, check one and not the other.
        if (self.rule is None) == (self.segments is None):
            raise PydanticCustomError(
                "rule_or_segments",
                "{message}",
                {
                    "message": "give rule (one condition) or segments (a catalog)"
                    + (", not both" if self.rule is not None else "")
                },
            )
        return self


class CheckResponse(BaseModel):
    """Parse errors as data (position and caret), lint findings, and columns read."""

    valid: bool
    errors: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    columns: list[str]


class PreviewRequest(RequestBody):
    """A catalog to size on the latest run's customers."""

    segments: list[SegmentIn] = Field(min_length=1, max_length=64)
    exclusive: bool = True
    other: str = "Other"


class PreviewResponse(BaseModel):
    """Sizes of every segment, and of each condition alone and cumulatively."""

    run_id: int
    customers: int
    other: int | None
    segments: list[dict[str, Any]]
    k_min: int | None = Field(
        default=None, description="counts under it are null (the project's privacy.k_min)"
    )


class ExplainRequest(RequestBody):
    """Why a customer is in or out of one segment of a rule segmentation."""

    segmentation: str
    segment: str
    customer_id: str


class ImpactRequest(RequestBody):
    """An edited rule segmentation to compare with the latest run."""

    segmentation: str
    definition: dict[str, Any]


class ClassifyRequest(RequestBody):
    """One customer: attributes, and optionally recent events and orders."""

    customer_id: str | None = Field(default=None, max_length=200)
    attributes: dict[str, Any] = Field(default_factory=dict, max_length=500)
    events: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    orders: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)


class ClassifyResponse(BaseModel):
    """The segments the customer would be in now, per segmentation."""

    customer_id: str | None
    as_of: str
    run_id: int
    known_customer: bool
    segments: dict[str, list[str]]
    skipped: dict[str, str]
    ignored_attributes: list[str]
