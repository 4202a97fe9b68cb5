"""The service's settings: from ``segwise serve``'s options or ``SEGWISE_*`` variables.

Besides ``cli/``, this is the only module that reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from segwise.exceptions import ConfigError


class Settings(BaseModel):
    """What one service process serves and how.

    Examples
    --------
    >>> Settings(project=Path("segwise.yaml")).rate_limit
    600
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: Path
    #: Log customer ids and full paths (off: logs carry route templates, never ids).
    debug_ids: bool = False
    #: Requests per minute per key (a burst of a tenth of it is allowed at once).
    rate_limit: int = Field(default=600, ge=1)
    #: Origins allowed by CORS; empty (the default) sends no CORS headers at all.
    cors_origins: tuple[str, ...] = ()
    #: Seconds a browser session lasts after logging in with a key.
    session_seconds: int = Field(default=8 * 3600, ge=60)
    #: Also append the JSON log lines to this file (inside the project folder), which the
    #: audit log records so that ``segwise forget`` cleans it.
    log_file: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        """Settings from ``SEGWISE_PROJECT``, ``SEGWISE_DEBUG_IDS``, ``SEGWISE_RATE_LIMIT``…."""
        project = os.environ.get("SEGWISE_PROJECT")
        if not project:
            raise ConfigError(
                "SEGWISE_PROJECT is not set", hint="start the service with: segwise serve CONFIG"
            )
        origins = os.environ.get("SEGWISE_CORS_ORIGINS", "")
        return cls(
            project=Path(project),
            debug_ids=os.environ.get("SEGWISE_DEBUG_IDS") == "1",
            rate_limit=int(os.environ.get("SEGWISE_RATE_LIMIT", "600")),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            log_file=Path(os.environ["SEGWISE_LOG_FILE"])
            if os.environ.get("SEGWISE_LOG_FILE")
            else None,
        )
