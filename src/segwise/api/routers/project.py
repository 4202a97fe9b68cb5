"""The project the service serves."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from segwise._version import __version__
from segwise.api.auth import StateDep, Viewer
from segwise.api.schemas.common import ERRORS
from segwise.project.definitions import versions

router = APIRouter(tags=["project"], responses=ERRORS)


@router.get("/project")
def project_info(state: StateDep, _caller: Viewer) -> dict[str, Any]:
    """Name, engine, sources and segmentations (method, level, version) of the project."""
    project = state.project()
    config = project.config
    current = versions(state.project_file)
    return {
        "name": config.name,
        "segwise_version": __version__,
        "engine": config.engine_name,
        "currency": config.currency,
        "sources": [
            name
            for name in ("transactions", "customers", "events", "accounts", "responses")
            if getattr(config.sources, name, None) is not None
        ],
        "segmentations": [
            {"name": name, "method": spec.method, "level": spec.level, "version": current.get(name)}
            for name, spec in config.segmentations.items()
        ],
    }
