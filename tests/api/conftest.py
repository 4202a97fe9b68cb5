"""One demo project, run once, with a key per role; each test that writes gets a copy."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

import segwise as sw
from segwise.api import Settings, create_app
from segwise.project import open_workspace
from segwise.store.keys import create_key

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="session")
def served_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A demo project with one stored run, and a key for each role."""
    folder = tmp_path_factory.mktemp("served")
    config = sw.Project.init(folder)
    sw.Project.from_yaml(config).run()
    store = open_workspace(config)
    keys = {role: create_key(store, f"{role}-key", role)[1] for role in ("viewer", "editor", "admin")}
    return config, keys


@pytest.fixture
def project_copy(served_project: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A private copy of the served project (store and keys included) for tests that write."""
    config, _ = served_project
    target = tmp_path / "project"
    shutil.copytree(config.parent, target)
    return target / "segwise.yaml"


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
    return {role: key for role, key in served_project[1].items()}


def bearer(key: str) -> dict[str, str]:
    """The header that carries a key."""
    return {"Authorization": f"Bearer {key}"}
