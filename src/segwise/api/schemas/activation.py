"""Destinations, syncs, the delivery log and one-off exports."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from segwise.api.schemas.common import LocalTime, RequestBody


class DeliveryOut(BaseModel):
    """One sync of one destination (or one trigger's events), as the log keeps it."""

    delivery_id: str
    destination: str
    run_id: int
    started_at: LocalTime
    finished_at: LocalTime | None
    status: str = Field(description="delivered, unchanged; webhooks: queued, failed")
    adds: int
    removes: int
    batches: int
    failed_batches: int
    target: str
    message: str | None


class BatchOut(BaseModel):
    """One webhook batch: its idempotency key, and what became of it."""

    destination: str
    delivery_id: str
    batch: int
    batches: int
    webhook_id: str
    sequence: int
    rows: int
    status: str = Field(description="queued, delivered or failed (parked: the next sync sends it)")
    attempts: int
    http_status: int | None
    error: str | None
    queued_at: LocalTime
    sent_at: LocalTime | None
    elapsed_ms: float | None


class DestinationOut(BaseModel):
    """A destination of the project file, with its last delivery."""

    name: str
    type: str
    mode: str
    segments: list[str]
    identifiers: list[str]
    consent: str | None
    #: The consent history's purpose checked instead of a column (sources.consents).
    consent_purpose: str | None = None
    min_size: int
    target: str = Field(description="the folder (files) or the URL (webhooks)")
    last_delivery: DeliveryOut | None
    waiting_batches: int = Field(description="webhook batches the next sync sends first")


class SyncRequest(RequestBody):
    """Sync every destination, or one."""

    destination: str | None = None


class SegmentSyncOut(BaseModel):
    """One segment's part of a sync plan."""

    segmentation: str
    segment: str
    members: int
    audience: int
    adds: int
    removes: int
    not_consented: int
    suppressed: int
    no_identifier: int
    skipped: str | None
    held_out: int = Field(default=0, description="kept out by a standing holdout")


class PlanOut(BaseModel):
    """What a sync would send to one destination."""

    destination: str
    mode: str
    run_id: int
    delivery_id: str
    adds: int
    removes: int
    segments: list[SegmentSyncOut]
    earlier_batches: int


class TriggerOut(BaseModel):
    """One trigger's events for one run and destination."""

    trigger: str
    destination: str
    run_id: int
    from_run: int | None
    entered: int
    exited: int
    left_out: int
    status: str


class DryRunOut(BaseModel):
    """A sync planned, nothing sent."""

    destinations: list[PlanOut]
    triggers: list[TriggerOut]


class ExportRequest(RequestBody):
    """One segment's members with columns of the customers source, hashed if asked."""

    segment: str = Field(description="segmentation/segment, or the segment's name alone")
    segmentation: str | None = None
    run: int | None = None
    columns: list[str] = Field(default_factory=list)
    hash: Literal["meta", "google", "sha256"] | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    country_col: str | None = None
    consent: str | None = Field(
        default=None, description="a customers column of consent: only members who agreed"
    )
    consent_purpose: str | None = Field(
        default=None, description="a purpose of the consent history, in force today"
    )
