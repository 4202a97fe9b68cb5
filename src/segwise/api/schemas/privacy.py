"""Erasure, subject access and the record of processing (admins only)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from segwise.api.schemas.common import RequestBody

CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=256)]


class ForgetIn(RequestBody):
    """Customers to erase, by id as the sources write it."""

    customer_ids: list[CustomerId] = Field(min_length=1, max_length=10_000)
    #: Count where they are held; change nothing.
    dry_run: bool = False


class ForgetOut(BaseModel):
    """Where they were held: counts per store table and per file, never ids."""

    customers: int
    dry_run: bool
    places: int = Field(description="store tables, files and warehouse tables that held them")
    store: dict[str, int]
    files: dict[str, int]
    webhooks: dict[str, dict[str, int]] = Field(
        description="per webhook: removes sent, batches, and batches that failed (queued)"
    )
    warehouse: dict[str, int] = Field(
        default_factory=dict,
        description="rows removed from the memberships written back (engine.spark.memberships)",
    )


class ProcessingRecord(BaseModel):
    """The data map of ``segwise privacy``: sources, purposes, retention, erasures."""

    project: str
    store: str
    sources: list[dict[str, Any]]
    purposes: dict[str, Any]
    retention: dict[str, str]
    small_groups: dict[str, int]
    profiling_consent: dict[str, Any]
    secret_key: dict[str, Any]
    erased_customers: int
    last_erasure: dict[str, Any] | None
    last_purge: dict[str, Any] | None
