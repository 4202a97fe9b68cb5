"""The rule editor's calls: check, live sizes, explain, impact of an edit, and classify."""

from __future__ import annotations

import asyncio
from typing import Any

import polars as pl
from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool

from segwise.api.auth import MemberReader, StateDep, Viewer
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.rules import (
    CheckRequest,
    CheckResponse,
    ClassifyRequest,
    ClassifyResponse,
    ExplainRequest,
    ImpactRequest,
    PreviewRequest,
    PreviewResponse,
)
from segwise.privacy.small_groups import protect_counts
from segwise.project import live
from segwise.project.pseudonyms import as_stored

router = APIRouter(tags=["rules"], responses=ERRORS)


def _segments(body: CheckRequest | PreviewRequest) -> list[dict[str, Any]]:
    if isinstance(body, CheckRequest) and body.rule is not None:
        return [{"name": "rule", "where": body.rule}]
    return [s.model_dump(exclude_none=True) for s in body.segments or []]


@router.post("/rules/check", response_model=CheckResponse)
def check(body: CheckRequest, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """Parse and lint one rule or a catalog. Syntax errors come back as data, with positions."""
    data = state.live_or_none()
    columns = () if data is None else tuple(data.features.columns)
    return live.check(_segments(body), exclusive=body.exclusive, columns=columns)


@router.post("/rules/preview", response_model=PreviewResponse)
def preview(body: PreviewRequest, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """Sizes of each segment and each condition (alone, cumulative) on the latest run."""
    catalog = live.catalog_from(_segments(body), exclusive=body.exclusive, other=body.other)
    found = live.preview(state.live(), catalog)
    # Counts under the project's k_min are null (docs/privacy.md); the total stays.
    k_min = state.project().config.privacy.k_min
    return {**protect_counts(found, k_min), "customers": found["customers"], "k_min": k_min}


@router.post("/rules/explain")
def explain(body: ExplainRequest, state: StateDep, _caller: MemberReader) -> dict[str, Any]:
    """Why one customer of the latest run is in or out of a segment, condition by condition."""
    project, data = state.project(), state.live()
    catalog = live.project_catalog(project, body.segmentation)
    # With pseudonyms, the id as written (a CRM's) or as stored (a list's).
    held = data.features["customer_id"].cast(pl.String)
    stored = as_stored(project, body.customer_id, lambda i: bool((held == i).any()))
    found = live.explain(data, catalog, stored, body.segment)
    return live.explanation_dict(found, body.customer_id) | {"text": found.render()}


@router.post("/preview")
def impact(body: ImpactRequest, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """Who an edited rule segmentation would add and remove (+N/−M, revenue), storing nothing."""
    found = state.reading(
        lambda _store: live.impact(state.project(), body.segmentation, body.definition)
    )
    k_min = state.project().config.privacy.k_min
    return {**protect_counts(found.to_dict(), k_min), "k_min": k_min}


@router.post("/classify", response_model=ClassifyResponse)
async def classify(body: ClassifyRequest, state: StateDep, caller: Viewer) -> dict[str, Any]:
    """The segments one customer would be in now, under every rule and cluster segmentation.

    No store write. A known ``customer_id`` fills the attributes not sent from the latest
    run's customer table (for editors and admins: viewers see no stored customer data).
    Concurrent requests are answered together, in one run of the prepared plan.
    """
    # Building it (after a run or an edit) reads the store: off the event loop.
    classifier = state.current_classifier()
    if classifier is None:
        classifier = await run_in_threadpool(state.classifier)
    future, finish = classifier.submit(
        body.attributes,
        customer_id=body.customer_id,
        events=body.events,
        orders=body.orders,
        fill_known=caller.sees_members,
    )
    # Awaited, not blocked on: the event loop keeps taking requests for the next batch.
    held = {} if future is None else await asyncio.wrap_future(future)
    return finish(held).to_dict()
