"""Request bodies: a field the schema does not have is refused and named, never ignored."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from segwise.api import Settings, create_app
from segwise.api.schemas.common import RequestBody
from segwise.api.schemas.privacy import ForgetIn
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path


def test_every_request_body_in_the_schema_refuses_other_fields(client: TestClient) -> None:
    openapi = client.get("/openapi.json").json()
    bodies = set()
    for path in openapi["paths"].values():
        for operation in path.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                # An optional body (runs, sync) is anyOf the model and null.
                for schema in [content["schema"], *content["schema"].get("anyOf", [])]:
                    if "$ref" in schema:
                        bodies.add(schema["$ref"].rsplit("/", 1)[-1])
    assert {"ForgetIn", "RunRequest", "SyncRequest", "ExportRequest", "CheckRequest"} <= bodies
    schemas = openapi["components"]["schemas"]
    open_bodies = [n for n in sorted(bodies) if schemas[n].get("additionalProperties") is not False]
    assert open_bodies == []


def test_a_misspelt_dry_run_erases_nothing(
    project_copy: Path, keys: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", "0123456789abcdef0123456789abcdef")
    admin = bearer(keys["admin"])
    with TestClient(create_app(Settings(project=project_copy))) as service:
        sent = service.post(
            "/api/v1/forget", json={"customer_ids": ["0000001"], "dryrun": True}, headers=admin
        )
        assert sent.status_code == 422
        error = sent.json()["error"]
        assert error["message"] == "body: unknown field 'dryrun' (did you mean 'dry_run'?)"
        assert service.get("/api/v1/customers/0000001", headers=admin).status_code == 200


def test_a_misspelt_field_starts_no_run_and_exports_nothing_unhashed(
    client: TestClient, keys: dict[str, str]
) -> None:
    editor = bearer(keys["editor"])
    runs = client.get("/api/v1/runs", headers=editor).json()
    started = client.post("/api/v1/runs", json={"asof": "2024-06-30"}, headers=editor)
    assert started.status_code == 422
    assert "unknown field 'asof' (did you mean 'as_of'?)" in started.json()["error"]["message"]
    assert client.get("/api/v1/runs/jobs", headers=editor).json() == []
    assert client.get("/api/v1/runs", headers=editor).json() == runs
    export = {"segment": "lifecycle/VIP", "columns": ["email"], "hashing": "sha256"}
    exported = client.post("/api/v1/export", json=export, headers=editor)
    assert exported.status_code == 422
    assert "@" not in exported.text
    assert "unknown field 'hashing' (did you mean 'hash'?)" in exported.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"where": "orders > 1"},
            "unknown field 'where' (the fields are rule, segments, exclusive)",
        ),
        ({}, "give rule (one condition) or segments (a catalog)"),
        (
            {"rule": "orders > 1", "segments": [{"name": "a", "where": "orders > 2"}]},
            "give rule (one condition) or segments (a catalog), not both",
        ),
    ],
)
def test_a_rule_check_that_checks_nothing_is_not_valid(
    client: TestClient, keys: dict[str, str], body: dict[str, Any], message: str
) -> None:
    # Each of these answered {"valid": true}: nothing had been parsed.
    found = client.post("/api/v1/rules/check", json=body, headers=bearer(keys["viewer"]))
    assert found.status_code == 422
    assert found.json()["error"]["message"] == f"body: {message}"
    broken = {"rule": "orders > 1 AND (recency_days < 30"}
    checked = client.post("/api/v1/rules/check", json=broken, headers=bearer(keys["viewer"]))
    assert checked.status_code == 200 and checked.json()["valid"] is False


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=12),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
        max_size=4,
    )
)
def test_a_body_is_taken_only_when_every_key_is_a_field(body: dict[str, Any]) -> None:
    body = {"customer_ids": ["1"], **body}
    try:
        parsed = ForgetIn.model_validate(body)
    except ValidationError as error:
        unknown = [key for key in body if key not in ForgetIn.model_fields]
        messages = " ".join(e["msg"] for e in error.errors())
        assert all(f"unknown field '{key}'" in messages for key in unknown)
        assert unknown or error.errors()[0]["type"] != "extra_forbidden"
    else:
        assert set(body) <= set(ForgetIn.model_fields)
        assert parsed.dry_run is body.get("dry_run", False)


def test_nested_bodies_name_the_field_where_it_is() -> None:
    class Inner(RequestBody):
        name: str

    class Outer(RequestBody):
        inner: list[Inner]

    with pytest.raises(ValidationError) as caught:
        Outer.model_validate({"inner": [{"name": "a"}, {"nmae": "b"}]})
    [error] = caught.value.errors()
    assert error["loc"] == ("inner", 1)
    assert error["msg"] == "unknown field 'nmae' (did you mean 'name'?)"
