"""The workspace: runs, segment definitions, profiles and membership history, in DuckDB."""

from __future__ import annotations

from segwise.store.history import Changes, CustomerHistory, Move
from segwise.store.lock import StoreLockedError
from segwise.store.records import RunRecord, SegmentationRecord
from segwise.store.workspace import StoreError, Workspace

__all__ = [
    "Changes",
    "CustomerHistory",
    "Move",
    "RunRecord",
    "SegmentationRecord",
    "StoreError",
    "StoreLockedError",
    "Workspace",
]
