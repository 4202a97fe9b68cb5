"""KPIs by segment and the analysed experiments."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from segwise.api.auth import StateDep, Viewer
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.measure import ExperimentOut, FindingOut, KpisOut
from segwise.privacy.small_groups import protect_kpis
from segwise.store import experiments as memory

router = APIRouter(tags=["measure"], responses=ERRORS)

SegmentationQuery = Annotated[
    str | None, Query(min_length=1, description="the segmentation (default: the first)")
]


@router.get("/kpis", response_model=KpisOut)
def kpis(
    state: StateDep,
    _caller: Viewer,
    segmentation: SegmentationQuery = None,
    window_days: Annotated[int, Query(ge=1, le=3650, description="days after each run")] = 30,
    run: Annotated[list[int] | None, Query(description="only these runs")] = None,
) -> dict[str, Any]:
    """Each run's segments measured on the orders after its date (conversion, AOV, ...)."""
    from segwise.project.kpis import kpis_by_segment, kpis_payload  # noqa: PLC0415 - orders

    project = state.project()
    name, found = kpis_by_segment(
        project, segmentation=segmentation, window=timedelta(days=window_days), runs=run
    )
    k_min = project.config.privacy.k_min
    payload = kpis_payload(name, found)
    for measured in payload["runs"]:
        measured["segments"] = [protect_kpis(s, k_min) for s in measured["segments"]]
    return payload


@router.get("/experiments", response_model=list[ExperimentOut])
def experiments(state: StateDep, _caller: Viewer) -> list[dict[str, Any]]:
    """The analysed experiments, the latest readout of each, newest first."""
    return state.reading(lambda store: memory.analyses(store).to_dicts())  # type: ignore[no-any-return]


@router.get("/experiments/findings", response_model=list[FindingOut])
def findings(
    state: StateDep,
    _caller: Viewer,
    segment: Annotated[str | None, Query(min_length=1, description="only this segment")] = None,
    segmentation: SegmentationQuery = None,
) -> list[dict[str, Any]]:
    """What each experiment's latest readout found: worked, hurt or no effect, per segment."""
    return state.reading(  # type: ignore[no-any-return]
        lambda store: memory.findings(store, segment=segment, segmentation=segmentation).to_dicts()
    )
