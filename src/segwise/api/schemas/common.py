"""Shapes shared by every resource."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorDetail(BaseModel):
    """What went wrong and what to do; ``rule`` holds a rule error's position."""

    message: str
    hint: str | None = None
    kind: str
    rule: dict[str, Any] | None = None


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer from segwise's own checks."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "not found"},
    409: {"model": ErrorResponse, "description": "conflict"},
    422: {"model": ErrorResponse, "description": "invalid input"},
}
