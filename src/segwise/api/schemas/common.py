"""Shapes shared by every resource."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from segwise._validation import did_you_mean


def _aware(value: Any) -> Any:
    """A naive time from the store (written in local time) with its UTC offset."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.astimezone()
    return value


#: A time as RFC 3339 requires it: with its offset (the store keeps local times).
LocalTime = Annotated[datetime, BeforeValidator(_aware)]


class RequestBody(BaseModel):
    """A request body: a field it does not have is refused, named, not ignored.

    Ignoring it would act on the defaults instead: ``{"dryrun": true}`` sent to
    ``/forget`` would erase, ``{"asof": ...}`` sent to ``/runs`` would run as of today.

    Examples
    --------
    >>> class Run(RequestBody):
    ...     as_of: str | None = None
    >>> from pydantic import ValidationError
    >>> try:
    ...     Run.model_validate({"asof": "2024-06-30"})
    ... except ValidationError as error:
    ...     print(error.errors()[0]["msg"])
    unknown field 'asof' (did you mean 'as_of'?)
    """

    # Forbidden in the schema too (additionalProperties: false), for clients built from it.
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_fields_only(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        fields = list(cls.model_fields)
        unknown = [key for key in data if key not in cls.model_fields]
        if unknown:
            raise PydanticCustomError(
                "extra_forbidden",
                "{message}",
                {"message": "; ".join(_unknown(str(key), fields) for key in unknown)},
            )
        return data


def _unknown(key: str, fields: list[str]) -> str:
    close = did_you_mean(key, fields)
    if close:
        return f"unknown field '{key}' (did you mean {' or '.join(repr(c) for c in close)}?)"
    return f"unknown field '{key}' (the fields are {', '.join(fields)})"


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
