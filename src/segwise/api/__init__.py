"""The segwise service: a REST API and a web UI over one project (``segwise serve``)."""

from __future__ import annotations

from segwise.api.app import create_app
from segwise.api.settings import Settings

__all__ = ["Settings", "create_app"]
