"""Segmentations and segments of a run: cards, sizes over time, members (paged or CSV)."""

from __future__ import annotations

import base64
import functools
import json
import re
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import StreamingResponse

from segwise.api.auth import MemberReader, StateDep, Viewer
from segwise.api.schemas.common import ERRORS
from segwise.api.schemas.segments import MembersPage, SegmentationOut, SegmentOut
from segwise.privacy.small_groups import protect_card, protect_count
from segwise.store import Workspace

if TYPE_CHECKING:
    from collections.abc import Iterator

router = APIRouter(prefix="/segmentations", tags=["segments"], responses=ERRORS)

RunQuery = Annotated[int | None, Query(description="run number (default: the latest)", ge=1)]
OnQuery = Annotated[
    date | None, Query(description="the run in force on this day (latest as of it or earlier)")
]


def _run_id(store: Workspace, run: int | None, on: date | None = None) -> int:
    if run is not None and on is not None:
        raise HTTPException(422, "give run or on, not both")
    if on is not None:
        return store.run_on(on)
    runs = store.runs()
    if runs.height == 0:
        raise HTTPException(404, "no runs stored yet")
    if run is None:
        return int(runs["run_id"].max())  # type: ignore[arg-type]
    if run not in runs["run_id"].to_list():
        raise HTTPException(404, f"no run {run}")
    return run


def _card(row: dict[str, Any], k_min: int) -> dict[str, Any]:
    """A stored segment as it may be shown: under ``k_min`` people, "< k_min" and no traits."""
    profile = json.loads(row["profile"]) if row.get("profile") else {}
    card = protect_card({"size": row["size"], "share": row["share"]}, k_min)
    return {"segment": row["segment"], **card, "profile": protect_card(profile, k_min)}


def _k_min(state: Any) -> int:
    return int(state.project().config.privacy.k_min)


@router.get("", response_model=list[SegmentationOut])
def segmentations(state: StateDep, _caller: Viewer, run: RunQuery = None) -> list[dict[str, Any]]:
    """Every segmentation of a run with its cards (the report's data)."""
    k_min = _k_min(state)

    def read(store: Workspace) -> list[dict[str, Any]]:
        with store.reading():
            run_id = _run_id(store, run)
            definitions = store.definitions(run_id)
            profiles = store.profiles(run_id)
        return [
            _segmentation(run_id, name, definition, profiles, k_min)
            for name, definition in definitions.items()
        ]

    return state.reading(read)  # type: ignore[no-any-return]


def _segmentation(
    run_id: int, name: str, definition: dict[str, Any], profiles: Any, k_min: int
) -> dict[str, Any]:
    shown = {k: v for k, v in definition.items() if k != "model"}  # the fitted model is bulk
    return {
        "run_id": run_id,
        "segmentation": name,
        "method": definition.get("method", ""),
        "level": definition.get("level", "customer"),
        "definition": shown,
        "cards": [_card(row, k_min) for row in profiles.filter(segmentation=name).to_dicts()],
    }


@router.get("/{segmentation}", response_model=SegmentationOut)
def segmentation_detail(
    segmentation: str, state: StateDep, _caller: Viewer, run: RunQuery = None
) -> dict[str, Any]:
    """One segmentation of a run with its cards."""
    k_min = _k_min(state)

    def read(store: Workspace) -> dict[str, Any]:
        with store.reading():
            run_id = _run_id(store, run)
            definitions = store.definitions(run_id)
            if segmentation not in definitions:
                raise HTTPException(404, f"run {run_id} has no segmentation '{segmentation}'")
            profiles = store.profiles(run_id)
        return _segmentation(run_id, segmentation, definitions[segmentation], profiles, k_min)

    return state.reading(read)  # type: ignore[no-any-return]


@router.get("/{segmentation}/segments/{segment}", response_model=SegmentOut)
def segment_detail(
    segmentation: str, segment: str, state: StateDep, _caller: Viewer, run: RunQuery = None
) -> dict[str, Any]:
    """One segment's card and its size in every stored run."""
    k_min = _k_min(state)

    def read(store: Workspace) -> dict[str, Any]:
        with store.reading():
            run_id = _run_id(store, run)
            found = store.profiles(run_id).filter(segmentation=segmentation, segment=segment)
            if found.height == 0:
                raise HTTPException(
                    404, f"run {run_id} has no segment '{segment}' in '{segmentation}'"
                )
            sizes = store.sizes().filter(segmentation=segmentation, segment=segment)
        return {
            "run_id": run_id,
            "segmentation": segmentation,
            "card": _card(found.row(0, named=True), k_min),
            "sizes": [
                {**point, "size": protect_count(point["size"], k_min)}
                for point in sizes.select("run_id", "as_of", "size").to_dicts()
            ],
        }

    return state.reading(read)  # type: ignore[no-any-return]


def _cursor(run_id: int, last: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([run_id, last]).encode()).decode()


def _uncursor(cursor: str) -> tuple[int, str]:
    try:
        run_id, last = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return int(run_id), str(last)
    except (ValueError, TypeError):
        raise HTTPException(422, "the cursor is not one this service gave") from None


@router.get("/{segmentation}/segments/{segment}/members", response_model=MembersPage)
def members(
    segmentation: str,
    segment: str,
    state: StateDep,
    caller: Viewer,
    run: RunQuery = None,
    on: OnQuery = None,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    search: Annotated[str | None, Query(max_length=200, description="ids starting with")] = None,
) -> dict[str, Any]:
    """A page of member ids in id order; follow ``next_cursor``. Viewers get the count only.

    (Under the project's ``k_min`` the count is null: too few to show.)
    """
    k_min = _k_min(state)

    def read(store: Workspace) -> dict[str, Any]:
        with store.reading():
            after = None
            if cursor is not None:
                run_id, after = _uncursor(cursor)
            else:
                run_id = _run_id(store, run, on)
            size = state.segment_size(store, run_id, segmentation, segment)
            if size is None:
                raise HTTPException(
                    404, f"run {run_id} has no segment '{segment}' in '{segmentation}'"
                )
            if not caller.sees_members:
                return {
                    "run_id": run_id,
                    "segmentation": segmentation,
                    "segment": segment,
                    "size": protect_count(size, k_min),
                    "members": None,
                    "next_cursor": None,
                }
            page = store.members_page(
                segmentation, segment, run=run_id, after=after, limit=limit + 1, prefix=search
            )["customer_id"].to_list()
        more = len(page) > limit
        page = page[:limit]
        return {
            "run_id": run_id,
            "segmentation": segmentation,
            "segment": segment,
            "size": size,
            "members": page,
            "next_cursor": _cursor(run_id, page[-1]) if more else None,
        }

    return state.reading(read)  # type: ignore[no-any-return]


@router.get(
    "/{segmentation}/segments/{segment}/members.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
def members_csv(
    segmentation: str,
    segment: str,
    state: StateDep,
    _caller: MemberReader,
    run: RunQuery = None,
    on: OnQuery = None,
) -> StreamingResponse:
    """Every member id as CSV, streamed page by page (for lists of millions)."""
    run_id = state.reading(lambda store: _run_id(store, run, on))

    def rows() -> Iterator[bytes]:
        yield b"customer_id\n"
        after: str | None = None
        while True:
            page = state.reading(functools.partial(_page, segmentation, segment, run_id, after))
            if not page:
                return
            yield ("\n".join(_csv_field(v) for v in page) + "\n").encode()
            after = page[-1]

    filename = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{segmentation}-{segment}-run{run_id}") + ".csv"
    return StreamingResponse(
        rows(),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _page(
    segmentation: str, segment: str, run_id: int, after: str | None, store: Workspace
) -> list[str]:
    found = store.members_page(segmentation, segment, run=run_id, after=after, limit=50_000)
    return found["customer_id"].to_list()


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value
