"""KPIs by segment, and the analysed experiments (the playbook's memory)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from segwise.api.schemas.common import LocalTime


class EstimateOut(BaseModel):
    """A KPI's value, its 95% interval and its ratio to everyone's (null: nothing to measure)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    lift: float | None = Field(description="the segment's value over everyone's")


class PredictedOut(BaseModel):
    """What a CLV run predicted for the window, set against what was realised."""

    revenue_per_customer: float = Field(description="mean predicted revenue per customer")
    realised_to_predicted: EstimateOut | None = Field(
        description="realised revenue per customer over predicted (null until the window is over)"
    )
    window_complete: bool


class SegmentKpisOut(BaseModel):
    """One segment's KPIs over the window after one run's date."""

    segment: str
    customers: int | None = Field(description="null when fewer than the project's k_min")
    customers_below: int | None = Field(
        default=None, description="set (to k_min) when the segment is too small to show"
    )
    conversion: EstimateOut | None = None
    churn: EstimateOut | None = None
    revenue_per_customer: EstimateOut | None = None
    aov: EstimateOut | None = None
    repeat_rate: EstimateOut | None = None
    retention: dict[str, EstimateOut] = Field(
        default_factory=dict,
        description="days (30, 60, 90, 180, as far as orders exist) → share who ordered again",
    )
    holdout: dict[str, Any] | None = Field(
        default=None,
        description="with a standing holdout: targeted against held out (conversion, revenue)",
    )
    predicted: PredictedOut | None = Field(
        default=None, description="for a CLV segmentation: what its run predicted for the window"
    )
    top_customer_share: float | None = Field(
        default=None, description="the largest buyer's share of the segment's window revenue"
    )
    top_return_share: float | None = Field(
        default=None,
        description="one customer's net returns in the window over what the segment bought in "
        "it (null when nobody's window nets below zero)",
    )
    revenue_note: str | None = Field(
        default=None,
        description="set when one customer made, or returned, a quarter or more of that "
        "revenue: says so",
    )


class RunKpisOut(BaseModel):
    """One run's segments measured on the orders after its as-of date."""

    run_id: int
    as_of: date
    window_days: int
    observed_days: float = Field(description="days of orders after the as-of date")
    segments: list[SegmentKpisOut]
    prediction_note: str | None = Field(
        default=None,
        description="set when everyone bought clearly more or less than predicted: says so",
    )


class KpisOut(BaseModel):
    """Every run's KPIs (the trend), for one segmentation."""

    segmentation: str
    runs: list[RunKpisOut]
    judged_run: int | None = Field(
        default=None,
        description="the run to judge the segments by: the latest whose whole window is in "
        "the orders, else the latest with any (null when no run has orders after it)",
    )
    window_note: str | None = Field(
        default=None,
        description="set when a later run's window is still open, or no run has a day of "
        "orders after it: says so",
    )


class ExperimentOut(BaseModel):
    """The latest analysis of one experiment."""

    experiment: str
    segmentation: str
    analysed_at: LocalTime
    control: str
    variants: str = Field(description="JSON list of the variants")
    srm_flagged: bool
    design: str = Field(description="JSON: metrics, window, pre-period, split, correction")


class FindingOut(BaseModel):
    """What one analysis found for one segment, variant and metric."""

    experiment: str
    segmentation: str
    analysed_at: LocalTime
    segment: str
    variant: str
    metric: str
    n: int
    control_n: int
    lift: float | None
    ci_low: float | None
    ci_high: float | None
    p_adjusted: float | None
    significant: bool
    verdict: str = Field(description="worked, hurt or no effect")
