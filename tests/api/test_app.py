"""The app as a whole: health, readiness, OpenAPI, JSON logs without keys or ids, CORS."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from segwise.api import Settings, create_app
from segwise.api.logs import LOGGER
from tests.api.conftest import bearer


def test_health_and_readiness_need_no_key(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready").json()
    assert ready["status"] == "ready"
    assert ready["last_run"] == 1
    assert ready["last_run_age_seconds"] >= 0


def test_readiness_before_the_first_run(tmp_path: Path) -> None:
    import segwise as sw

    config = sw.Project.init(tmp_path)
    with TestClient(create_app(Settings(project=config))) as fresh:
        found = fresh.get("/ready").json()
    assert found["store"] == "empty"
    assert found["last_run"] is None


def test_openapi_lists_every_resource_under_api_v1(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = set(schema["paths"])
    for wanted in (
        "/api/v1/runs",
        "/api/v1/segmentations/{segmentation}/segments/{segment}/members",
        "/api/v1/rules/check",
        "/api/v1/rules/preview",
        "/api/v1/rules/explain",
        "/api/v1/preview",
        "/api/v1/classify",
        "/api/v1/definitions/{segmentation}",
        "/api/v1/keys",
        "/api/v1/audit",
    ):
        assert wanted in paths
    assert client.get("/docs").status_code == 200


def test_every_api_route_refuses_a_request_without_a_key(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        concrete = path.replace("{", "").replace("}", "")
        for method in operations:
            answer = client.request(method.upper(), concrete)
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.headers["www-authenticate"] == "Bearer"


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines() -> list[str]:
    from segwise.api.logs import JsonFormatter, logger

    handler = _Lines()
    handler.setFormatter(JsonFormatter())
    logger().addHandler(handler)
    yield handler.lines
    logging.getLogger(LOGGER).removeHandler(handler)


def test_logs_are_json_with_route_templates_never_ids_or_keys(
    client: TestClient, keys: dict[str, str], log_lines: list[str]
) -> None:
    key = keys["editor"]
    client.get("/api/v1/customers/0000004", headers=bearer(key))
    client.get("/api/v1/segmentations/lifecycle/segments/VIP/members", headers=bearer(key))
    records = [json.loads(line) for line in log_lines]
    routes = [r["route"] for r in records if r["message"] == "request"]
    assert "/api/v1/customers/{customer_id}" in routes
    text = "\n".join(log_lines)
    assert "0000004" not in text
    assert key not in text
    # The secret is what follows "sw_<id>_"; base64url secrets may hold "_" themselves.
    assert key.split("_", 2)[2] not in text  # not even the secret half
    assert all(r["key"] == "editor-key" for r in records if r["message"] == "request")


def test_debug_ids_logs_the_real_path(
    served_project: tuple[Path, dict[str, str]], log_lines: list[str]
) -> None:
    config, keys = served_project
    with TestClient(create_app(Settings(project=config, debug_ids=True))) as debug:
        debug.get("/api/v1/customers/0000004", headers=bearer(keys["editor"]))
    paths = [json.loads(line).get("path") for line in log_lines]
    assert "/api/v1/customers/0000004" in paths


def test_cors_is_off_unless_an_origin_is_allowed(
    served_project: tuple[Path, dict[str, str]], client: TestClient
) -> None:
    origin = {"Origin": "https://crm.example.com"}
    assert "access-control-allow-origin" not in client.get("/health", headers=origin).headers
    config, _ = served_project
    settings = Settings(project=config, cors_origins=("https://crm.example.com",))
    with TestClient(create_app(settings)) as allowed:
        headers = allowed.get("/health", headers=origin).headers
    assert headers["access-control-allow-origin"] == "https://crm.example.com"


def test_a_log_file_in_the_project_is_written_and_recorded(project_copy: Path) -> None:
    from segwise.project import open_workspace
    from segwise.store import audit

    settings = Settings(project=project_copy, log_file=Path("logs/service.log"))
    with TestClient(create_app(settings)) as client:
        assert client.get("/health").status_code == 200
    log = project_copy.parent / "logs" / "service.log"
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {"service started", "request"} <= {line["message"] for line in lines}
    assert all("path" not in line for line in lines)  # no ids without --debug-ids
    logged = audit.entries(open_workspace(project_copy)).filter(action="serve")
    assert json.loads(logged["detail"][0]) == {"log_file": str(log.resolve())}


def test_a_log_file_outside_the_project_is_refused(project_copy: Path, tmp_path: Path) -> None:
    from segwise.exceptions import ConfigError

    settings = Settings(project=project_copy, log_file=tmp_path / "elsewhere.log")
    with pytest.raises(ConfigError, match="outside the project folder"):
        create_app(settings)
