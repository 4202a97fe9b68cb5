"""One customer's segments and history; changes between runs; alerts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from segwise.api.auth import MemberReader, StateDep, Viewer
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.segments import AlertOut, CustomerOut
from segwise.privacy.small_groups import is_small
from segwise.project.pseudonyms import as_stored
from segwise.store import Workspace

router = APIRouter(tags=["customers"], responses=ERRORS)

RunQuery = Annotated[int | None, Query(ge=1, description="run number (default: the latest)")]


@router.get("/customers/{customer_id}", response_model=CustomerOut)
def customer(customer_id: str, state: StateDep, _caller: MemberReader) -> dict[str, Any]:
    """The customer's segments in the latest run and their path through every run."""

    def read(store: Workspace) -> dict[str, Any]:
        with store.reading():
            run_id = store.latest_run()
            # With pseudonyms, the id as written (a CRM's) or as stored (a list's).
            stored = as_stored(
                state.project(), customer_id, lambda i: store.history(i).path.height > 0
            )
            held = store.customer_segments(stored, run_id)
            history = store.history(stored)
        found = history.to_dict()
        if held.height == 0 and not found.get("path"):
            raise HTTPException(404, "no such customer in any stored run")
        return {
            "customer_id": customer_id,
            "run_id": run_id,
            "segments": held.to_dicts(),
            "history": found,
        }

    return state.reading(read)  # type: ignore[no-any-return]


@router.get("/changes")
def changes(
    state: StateDep,
    caller: Viewer,
    from_run: RunQuery = None,
    to_run: RunQuery = None,
    segmentation: Annotated[str | None, Query(max_length=64)] = None,
) -> dict[str, Any]:
    """Who entered and left each segment between two runs (default: the last two).

    Viewers get the counts; editors also the customers who moved. A count under the
    project's ``privacy.k_min`` is null (and its share), zero apart.
    """
    found = state.reading(lambda store: store.changes(from_run, to_run, segmentation=segmentation))
    data: dict[str, Any] = found.to_dict(with_customers=caller.sees_members)
    k_min = state.project().config.privacy.k_min

    def shown(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        hidden = {k: None for k in keys if row.get(k) and is_small(row[k], k_min)}
        if "customers" in hidden:
            hidden["share"] = None
        return {**row, **hidden}

    data["segments"] = [
        shown(r, ("before", "after", "entered", "exited")) for r in data["segments"]
    ]
    data["matrix"] = [shown(r, ("customers",)) for r in data["matrix"]]
    for refit in data["refits"]:  # an overlap gives its count away as a share does
        matches = [shown(r, ("customers",)) for r in refit["matches"]]
        refit["matches"] = [
            {**m, "overlap": None} if m["customers"] is None and m["share"] is None else m
            for m in matches
        ]
    data["k_min"] = k_min
    return data


@router.get("/alerts", response_model=list[AlertOut])
def alerts(state: StateDep, _caller: Viewer, run: RunQuery = None) -> list[dict[str, Any]]:
    """A run's health alerts, critical first."""
    return state.reading(lambda store: store.alerts(run)).to_dicts()  # type: ignore[no-any-return]
