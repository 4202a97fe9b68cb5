"""A client of the service over the demo project (``served_project`` is in tests/conftest.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from segwise.api import Settings, create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def client(served_project: tuple[Path, dict[str, str]]) -> Iterator[TestClient]:
    """A client of the service over the shared, read-only project."""
    config, _ = served_project
    # A high limit: the tests send hundreds of requests in a second (test_auth checks 429).
    with TestClient(create_app(Settings(project=config, rate_limit=1_000_000))) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def keys(served_project: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """Authorization headers per role."""
    return dict(served_project[1].items())


def bearer(key: str) -> dict[str, str]:
    """The header that carries a key."""
    return {"Authorization": f"Bearer {key}"}
