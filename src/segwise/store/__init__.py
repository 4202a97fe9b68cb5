"""The workspace: runs, segment definitions, profiles and membership snapshots, in DuckDB."""

from __future__ import annotations

from segwise.store.workspace import (
    RunRecord,
    SegmentationRecord,
    StoreError,
    StoreLockedError,
    Workspace,
)

__all__ = ["RunRecord", "SegmentationRecord", "StoreError", "StoreLockedError", "Workspace"]
