"""Definitions, keys and the audit log."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from segwise.api.schemas.common import LocalTime, RequestBody


class DefinitionOut(BaseModel):
    """A segmentation as the project file defines it, with its version."""

    segmentation: str
    method: str
    version: str
    editable: bool
    definition: dict[str, Any]


class DefinitionIn(RequestBody):
    """A rule segmentation to create or replace (``expected_version`` guards edits)."""

    definition: dict[str, Any]
    expected_version: str | None = None


class CreateDefinition(DefinitionIn):
    """A new rule segmentation."""

    segmentation: str = Field(min_length=1, max_length=64)


class SegmentPut(RequestBody):
    """A segment to add or replace in a rule segmentation."""

    segment: dict[str, Any]
    expected_version: str | None = None


class SavedOut(BaseModel):
    """A written definition: its new version and the one it replaced."""

    segmentation: str
    version: str | None
    previous_version: str | None
    definition: dict[str, Any] | None


class KeyIn(RequestBody):
    """A new API key."""

    name: str = Field(min_length=1, max_length=100)
    role: str = Field(pattern="^(viewer|editor|admin)$")
    grants: list[Literal["members"]] = Field(default_factory=list)


class KeyOut(BaseModel):
    """A key as listed (never its secret)."""

    name: str
    key_id: str
    role: str
    created_at: str
    revoked_at: str | None
    grants: list[str] = Field(default_factory=list)


class NewKey(KeyOut):
    """A created key: ``key`` is shown this once."""

    key: str


class AuditEntry(BaseModel):
    """One audit log entry."""

    happened_at: LocalTime
    actor: str
    role: str | None
    action: str
    target: str
    detail: str | None
