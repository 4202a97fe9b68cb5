r"""The score map file format: a pydantic schema that checks a user's YAML map key by key.

Only maps written by users go through it (``ScoreMap.from_yaml``/``from_text``):
errors then name the line and the key path, e.g. ``map.yaml, line 6:
segments.0.cells.0.q: unknown key``. The bundled presets are built straight into
:class:`~segwise.features.score_map.ScoreMap` (a test holds them to this schema).

Examples
--------
>>> parse_score_map("name: x\nbins: 2\nsegments:\n  - name: A\n    scores: ['22']\n")["bins"]
2
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from segwise._config import load_yaml_model
from segwise.features.score_map import MAX_BINS, MIN_BINS, repeated_names, segment_problem


class CellFile(BaseModel):
    """Inclusive score ranges per axis."""

    model_config = ConfigDict(extra="forbid")

    r: tuple[int, int] | None = None
    f: tuple[int, int] | None = None
    m: tuple[int, int] | None = None
    fm: tuple[int, int] | None = None


class SegmentFile(BaseModel):
    """One named segment: cells, explicit scores, or both."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    description: str = ""
    action: str = ""
    cells: tuple[CellFile, ...] = ()
    scores: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_cells(self) -> SegmentFile:
        problem = segment_problem(self.name, self.cells, self.scores)
        if problem:
            raise ValueError(problem)
        return self


class ScoreMapFile(BaseModel):
    """A whole score map file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    bins: int = Field(ge=MIN_BINS, le=MAX_BINS)
    match: Literal["first", "last"] = "first"
    fallback: str = "Other"
    segments: tuple[SegmentFile, ...] = Field(min_length=1)

    @field_validator("segments")
    @classmethod
    def _unique_names(cls, segments: tuple[SegmentFile, ...]) -> tuple[SegmentFile, ...]:
        problem = repeated_names([s.name for s in segments])
        if problem:
            raise ValueError(problem)
        return segments


def parse_score_map(text: str, *, source: str = "score map") -> dict[str, Any]:
    """Check a YAML score map and return it as plain data for ``ScoreMap.from_dict``."""
    checked = load_yaml_model(ScoreMapFile, text, source=source, docs="docs/rfm.md")
    return checked.model_dump()
