"""Shapes shared by every resource."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator


def _aware(value: Any) -> Any:
    """A naive time from the store (written in local time) with its UTC offset."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone()
    return value


#: A time as RFC 3339 requires it: with its offset (the store keeps local times).
LocalTime = Annotated[datetime, BeforeValidator(_aware)]


class ErrorDetail(BaseModel):
    """What went wrong and what to do; ``rule`` holds a rule error's position."""

    message: str
    hint: str | None = None
    kind: str
    rule: dict[str, Any] | None = None
    fields: list[dict[str, Any]] | None = None


class ErrorResponse(BaseModel):
    """The body of every 4xx/5xx answer from segwise's own checks."""

    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorResponse, "description": "the body is not JSON"},
    401: {"model": ErrorResponse, "description": "no key, or a revoked one"},
    403: {"model": ErrorResponse, "description": "the key's role is too low"},
    404: {"model": ErrorResponse, "description": "not found"},
    409: {"model": ErrorResponse, "description": "conflict"},
    422: {"model": ErrorResponse, "description": "invalid input"},
    429: {"model": ErrorResponse, "description": "over the key's rate limit"},
    503: {"model": ErrorResponse, "description": "the store cannot be read"},
}
