"""Structured JSON logs, one object per line, without personal data.

A request is logged with its route *template* (``/segments/{segment}/members``),
never the path it was called with, so customer ids in URLs stay out of the
logs; ``debug_ids`` logs the real path too. API keys are never logged.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

LOGGER = "segwise.api"


class JsonFormatter(logging.Formatter):
    """Each record as one JSON object: time, level, message and its ``fields``."""

    def format(self, record: logging.LogRecord) -> str:  # noqa: D102
        payload: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        payload.update(getattr(record, "fields", {}))
        if record.exc_info and record.exc_info[0] is not None:
            payload["error"] = record.exc_info[0].__name__
        return json.dumps(payload, default=str)


def logger() -> logging.Logger:
    """The service's logger, writing JSON lines to stderr (set up once)."""
    log = logging.getLogger(LOGGER)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def to_file(path: Path) -> None:
    """Also append the log lines to ``path`` (once per file; its folder is created)."""
    log = logger()
    target = str(path.resolve())
    if any(getattr(h, "baseFilename", None) == target for h in log.handlers):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # Watched: a file rewritten by segwise forget is reopened, not written to in the dark.
    handler = logging.handlers.WatchedFileHandler(target, encoding="utf-8")
    handler.setFormatter(JsonFormatter())
    log.addHandler(handler)


def close_file(path: Path) -> None:
    """Stop writing to ``path`` (the service stopped)."""
    log = logger()
    for handler in [h for h in log.handlers if getattr(h, "baseFilename", None) == str(path)]:
        log.removeHandler(handler)
        handler.close()


def event(message: str, **fields: Any) -> None:
    """Log one event with its fields."""
    logger().info(message, extra={"fields": fields})
