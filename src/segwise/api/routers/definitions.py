"""Rule segmentations and segments, read from and written back to ``segwise.yaml``.

Writes keep the file's comments and layout, are validated by the same code as
``segwise run`` before anything is written, and are atomic; each is audited.
``expected_version`` (from a GET) refuses an edit based on a stale definition.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from segwise.api.auth import Editor, StateDep, Viewer
from segwise.api.schemas.admin import (
    CreateDefinition,
    DefinitionIn,
    DefinitionOut,
    SavedOut,
    SegmentPut,
)
from segwise.api.schemas.common import ERRORS
from segwise.api.state import Principal, ServiceState
from segwise.project import definitions as edits
from segwise.store.audit import record
from segwise.store.definitions import definition_hash

router = APIRouter(prefix="/definitions", tags=["definitions"], responses=ERRORS)

Expected = Annotated[
    str | None, Query(max_length=64, description="the version the edit is based on")
]


def _out(name: str, spec: Any, written: dict[str, Any]) -> dict[str, Any]:
    editable = spec.method == "rules" and getattr(spec, "catalog", None) is None
    return {
        "segmentation": name,
        "method": spec.method,
        "version": definition_hash(written),
        "editable": editable,
        "definition": written,
    }


@router.get("", response_model=list[DefinitionOut])
def list_definitions(state: StateDep, _caller: Viewer) -> list[dict[str, Any]]:
    """Every segmentation as the project file writes it, with its version."""
    current = edits.written(state.project_file)
    return [
        _out(name, spec, current[name])
        for name, spec in state.project().config.segmentations.items()
    ]


@router.get("/{segmentation}", response_model=DefinitionOut)
def get_definition(segmentation: str, state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """One segmentation as the project file writes it (send it back edited: nothing else moves)."""
    spec = state.project().config.segmentations.get(segmentation)
    if spec is None:
        raise HTTPException(404, f"no segmentation '{segmentation}' in the project")
    return _out(segmentation, spec, edits.written(state.project_file)[segmentation])


def _saved(
    state: ServiceState, caller: Principal, action: str, saved: edits.Saved
) -> dict[str, Any]:
    state.writing(
        lambda store: record(
            store,
            caller.actor,
            action,
            saved.segmentation,
            role=caller.role,
            detail={"from": saved.previous, "to": saved.version, "definition": saved.definition},
        )
    )
    return saved.to_dict()


@router.post("", response_model=SavedOut, status_code=201)
def create(body: CreateDefinition, state: StateDep, caller: Editor) -> dict[str, Any]:
    """Add a rule segmentation to the project file."""
    saved = state.reading(
        lambda store: edits.put_segmentation(
            state.project_file, body.segmentation, body.definition, create=True, store=store
        )
    )
    return _saved(state, caller, "definition.create", saved)


@router.put("/{segmentation}", response_model=SavedOut)
def update(
    segmentation: str, body: DefinitionIn, state: StateDep, caller: Editor
) -> dict[str, Any]:
    """Replace a rule segmentation (a new version)."""
    saved = state.reading(
        lambda store: edits.put_segmentation(
            state.project_file,
            segmentation,
            body.definition,
            create=False,
            expected=body.expected_version,
            store=store,
        )
    )
    return _saved(state, caller, "definition.update", saved)


@router.delete("/{segmentation}", response_model=SavedOut)
def remove(
    segmentation: str, state: StateDep, caller: Editor, expected_version: Expected = None
) -> dict[str, Any]:
    """Remove a rule segmentation from the project file."""
    saved = edits.delete(state.project_file, segmentation, expected=expected_version)
    return _saved(state, caller, "definition.delete", saved)


@router.put("/{segmentation}/segments/{segment}", response_model=SavedOut)
def put_segment(
    segmentation: str, segment: str, body: SegmentPut, state: StateDep, caller: Editor
) -> dict[str, Any]:
    """Add a segment to a rule segmentation, or replace the one with this name."""
    given = {"name": segment, **{k: v for k, v in body.segment.items() if k != "name"}}
    saved = state.reading(
        lambda store: edits.put_segment(
            state.project_file, segmentation, given, expected=body.expected_version, store=store
        )
    )
    return _saved(state, caller, "segment.put", saved)


@router.delete("/{segmentation}/segments/{segment}", response_model=SavedOut)
def delete_segment(
    segmentation: str,
    segment: str,
    state: StateDep,
    caller: Editor,
    expected_version: Expected = None,
) -> dict[str, Any]:
    """Remove one segment of a rule segmentation."""
    saved = edits.delete(state.project_file, segmentation, segment, expected=expected_version)
    return _saved(state, caller, "segment.delete", saved)
