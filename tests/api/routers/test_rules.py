"""The rule editor's calls and real-time classification, against the batch run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from segwise.project import open_workspace
from tests.api.conftest import bearer

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi.testclient import TestClient


def test_check_returns_syntax_errors_as_data(client: TestClient, keys: dict[str, str]) -> None:
    found = client.post(
        "/api/v1/rules/check",
        json={"rule": "orders >= 3 AND\n  net_revenue >> 10"},
        headers=bearer(keys["viewer"]),
    ).json()
    assert found["valid"] is False
    error = found["errors"][0]
    assert (error["line"], error["column"]) == (2, 16)
    assert error["highlight"] == "  net_revenue >> 10"
    assert error["caret"].splitlines()[-1].index("^") == 2 + 15


def test_check_lints_a_catalog_and_names_unknown_columns(
    client: TestClient, keys: dict[str, str]
) -> None:
    found = client.post(
        "/api/v1/rules/check",
        json={
            "segments": [
                {"name": "Never", "where": "orders > 5 AND orders < 2"},
                {"name": "Typo", "where": "net_revnue > 10"},
            ]
        },
        headers=bearer(keys["viewer"]),
    ).json()
    kinds = {(f["segment"], f["kind"]) for f in found["findings"]}
    assert ("Never", "never-matches") in kinds
    assert ("Typo", "unknown-column") in kinds
    typo = next(f for f in found["findings"] if f["segment"] == "Typo")
    assert "net_revenue" in typo["message"]  # did you mean
    assert found["valid"] is False


def test_preview_counts_equal_the_batch_evaluation(
    served_project: tuple[Path, dict[str, str]], client: TestClient, keys: dict[str, str]
) -> None:
    found = client.post(
        "/api/v1/rules/preview",
        json={"segments": [{"name": "Loyal", "where": "orders >= 3 AND net_revenue > 100"}]},
        headers=bearer(keys["viewer"]),
    ).json()
    features = open_workspace(served_project[0]).latest_features()
    assert features is not None
    both = features.filter((pl.col("orders") >= 3) & (pl.col("net_revenue") > 100)).height
    alone = features.filter(pl.col("orders") >= 3).height
    segment = found["segments"][0]
    assert segment["assigned"] == both
    assert segment["conditions"][0]["alone"] == alone
    assert segment["conditions"][1]["cumulative"] == both
    assert found["other"] == features.height - both


def test_preview_with_a_broken_rule_points_at_it(client: TestClient, keys: dict[str, str]) -> None:
    answer = client.post(
        "/api/v1/rules/preview",
        json={"segments": [{"name": "A", "where": "orders >= 3 AND"}]},
        headers=bearer(keys["viewer"]),
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["rule"]["column"] == 16


def test_a_rule_cannot_execute_anything(
    client: TestClient, keys: dict[str, str], tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {marker}')",
        f"orders > 1; COPY (SELECT 1) TO '{marker}'",
        f"read_csv('{marker}') > 1",
        "exec('1')",
    ]
    for rule in payloads:
        for path, body in (
            ("/api/v1/rules/preview", {"segments": [{"name": "X", "where": rule}]}),
            ("/api/v1/rules/check", {"rule": rule}),
        ):
            answer = client.post(path, json=body, headers=bearer(keys["viewer"]))
            assert answer.status_code in (200, 422)
            if answer.status_code == 200:
                assert answer.json()["valid"] is False
    assert not marker.exists()


def test_explain_says_why_condition_by_condition(client: TestClient, keys: dict[str, str]) -> None:
    found = client.post(
        "/api/v1/rules/explain",
        json={"segmentation": "lifecycle", "segment": "VIP", "customer_id": "0000004"},
        headers=bearer(keys["editor"]),
    ).json()
    assert found["member"] is False
    assert [c["condition"] for c in found["conditions"]][1:] == [
        "net_revenue > 1500",
        "orders >= 12",
    ]
    assert "net_revenue" in found["conditions"][1]["values"]
    # The UI's "why?" beside a customer's Other: every segment's rule, whole, one a line.
    rest = client.post(
        "/api/v1/rules/explain",
        json={"segmentation": "lifecycle", "segment": "Other", "customer_id": "0000004"},
        headers=bearer(keys["editor"]),
    )
    assert rest.status_code == 200, rest.text
    body = rest.json()
    assert body["member"] is (body["assigned"] == "Other") and body["rest"] is True
    assert body["conditions"][0]["condition"].startswith("VIP: ")
    assert body["text"].startswith("customer 0000004 is ")


def test_impact_preview_counts_who_enters_and_leaves(
    project_copy: Path, keys: dict[str, str]
) -> None:
    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app

    # Every count shown, however small (small-group protection has its own test below).
    project_copy.write_text(project_copy.read_text() + "privacy: {k_min: 1}\n")
    with TestClient(create_app(Settings(project=project_copy))) as client:
        definition = client.get(
            "/api/v1/definitions/lifecycle", headers=bearer(keys["viewer"])
        ).json()["definition"]
        definition["segments"][0]["where"] = "net_revenue > 1000 AND orders >= 10"
        found = client.post(
            "/api/v1/preview",
            json={"segmentation": "lifecycle", "definition": definition},
            headers=bearer(keys["viewer"]),
        ).json()
    vip = next(s for s in found["segments"] if s["segment"] == "VIP")
    assert vip["entering"] > 0
    assert vip["leaving"] == 0  # a looser rule only adds
    assert vip["after"] == vip["before"] + vip["entering"]
    assert vip["revenue_entering"] > 0
    left = sum(s["leaving"] for s in found["segments"])
    assert left == vip["entering"]  # exclusive: whoever enters VIP leaves another segment


def test_classify_agrees_with_the_batch_run_on_500_customers(
    served_project: tuple[Path, dict[str, str]], client: TestClient, keys: dict[str, str]
) -> None:
    config = served_project[0]
    stored = open_workspace(config).memberships()
    events = pl.read_parquet(config.parent / "data" / "events.parquet").select(
        pl.col("user_id").cast(pl.String).alias("customer_id"),
        pl.col("event"),
        pl.col("ts").dt.strftime("%Y-%m-%dT%H:%M:%S").alias("timestamp"),
    )
    sample = stored["customer_id"].unique().sort().sample(500, seed=7).to_list()
    by_customer = {
        key[0]: frame.drop("customer_id").to_dicts()
        for key, frame in events.filter(pl.col("customer_id").is_in(sample)).group_by("customer_id")
    }
    expected = {
        (row["customer_id"], row["segmentation"]): row["segment"]
        for row in stored.filter(pl.col("segmentation").is_in(["lifecycle", "behaviour"]))
        .filter(pl.col("customer_id").is_in(sample))
        .iter_rows(named=True)
    }
    disagreements = []
    for customer in sample:
        found = client.post(
            "/api/v1/classify",
            json={"customer_id": customer, "events": by_customer.get(customer, [])},
            headers=bearer(keys["editor"]),
        ).json()
        assert found["known_customer"] is True
        for segmentation in ("lifecycle", "behaviour"):
            if found["segments"][segmentation] != [expected[(customer, segmentation)]]:
                disagreements.append((customer, segmentation))
    assert disagreements == []


def test_classify_a_new_customer_from_attributes(client: TestClient, keys: dict[str, str]) -> None:
    found = client.post(
        "/api/v1/classify",
        json={
            "attributes": {"net_revenue": 5000, "orders": 30, "favourite_colour": "teal"},
            "events": [{"event": "app_session", "timestamp": "2024-12-20T10:00:00"}],
        },
        headers=bearer(keys["viewer"]),
    ).json()
    assert found["known_customer"] is False
    assert found["segments"]["lifecycle"] == ["VIP"]
    assert found["ignored_attributes"] == ["favourite_colour"]
    assert set(found["skipped"]) == {"value", "future"}


def test_a_viewer_classifying_a_known_id_sees_no_stored_values(
    client: TestClient, keys: dict[str, str]
) -> None:
    found = client.post(
        "/api/v1/classify", json={"customer_id": "0000020"}, headers=bearer(keys["viewer"])
    ).json()
    assert found["known_customer"] is False


def test_classify_refuses_values_of_the_wrong_type(
    client: TestClient, keys: dict[str, str]
) -> None:
    answer = client.post(
        "/api/v1/classify",
        json={"attributes": {"orders": "many"}},
        headers=bearer(keys["viewer"]),
    )
    assert answer.status_code == 422
    assert "attribute 'orders'" in answer.json()["error"]["message"]
    # Values of the right type that no customer can have: refused, not classified.
    for impossible, said in (
        ({"recency_days": -5}, "attribute 'recency_days': -5 is negative"),
        ({"orders": 2.5}, "attribute 'orders': 2.5 is not a whole number"),
    ):
        answer = client.post(
            "/api/v1/classify", json={"attributes": impossible}, headers=bearer(keys["viewer"])
        )
        assert answer.status_code == 422
        assert said in answer.json()["error"]["message"]
    bad_time = client.post(
        "/api/v1/classify",
        json={"events": [{"event": "x", "timestamp": "yesterday"}]},
        headers=bearer(keys["viewer"]),
    )
    assert bad_time.status_code == 422
    assert "event 1" in bad_time.json()["error"]["message"]


def test_previews_hide_counts_under_k_min_and_show_the_rest(
    served_project: tuple[Path, dict[str, str]], project_copy: Path
) -> None:
    """The rule editor's live sizes and an edit's impact: a count under k_min is null."""
    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app
    from segwise.privacy.small_groups import COUNT_KEYS

    catalog = {
        "segments": [
            {"name": "Loyal", "where": "orders >= 3 AND net_revenue > 100"},
            {"name": "Whales", "where": "net_revenue > 5000"},
        ]
    }
    viewer = bearer(served_project[1]["viewer"])

    def counts(found: object, into: list[tuple[str, int | None]]) -> list[tuple[str, int | None]]:
        if isinstance(found, list):
            for item in found:
                counts(item, into)
        elif isinstance(found, dict):
            for key, value in found.items():
                if key in COUNT_KEYS and key != "customers":
                    into.append((key, value))
                counts(value, into)
        return into

    def answers(k_min: int) -> list[tuple[str, int | None]]:
        text = project_copy.read_text().split("privacy:")[0]
        project_copy.write_text(text + f"privacy: {{k_min: {k_min}}}\n")
        with TestClient(create_app(Settings(project=project_copy))) as service:
            live = service.post("/api/v1/rules/preview", json=catalog, headers=viewer).json()
            definition = service.get("/api/v1/definitions/lifecycle", headers=viewer).json()
            edited = definition["definition"]
            edited["segments"][0]["where"] = "net_revenue > 1000 AND orders >= 10"
            impact = service.post(
                "/api/v1/preview",
                json={"segmentation": "lifecycle", "definition": edited},
                headers=viewer,
            ).json()
        return counts([live, impact], [])

    exact = answers(1)
    values = sorted({v for _, v in exact if v})
    k_min = values[len(values) // 2]
    shown = answers(k_min)
    assert [key for key, _ in shown] == [key for key, _ in exact]
    for (_, true), (_, seen) in zip(exact, shown, strict=True):
        assert seen == (None if true is not None and 0 < true < k_min else true)
    assert None in [seen for _, seen in shown]


def test_a_hybrids_parent_is_explained_as_a_rule_segment(tmp_path: Path) -> None:
    # The customer page's "why?" beside a hybrid's leaf asks for its parent's rule.
    from fastapi.testclient import TestClient

    from segwise.api import Settings, create_app
    from segwise.store.keys import create_key
    from tests.project.methods.projects import big_spender_leaf

    _project, customer, _leaf = big_spender_leaf(tmp_path / "p")
    config = tmp_path / "p" / "segwise.yaml"
    key = create_key(open_workspace(config), "editor-key", "editor")[1]
    with TestClient(create_app(Settings(project=config))) as client:
        found = client.post(
            "/api/v1/rules/explain",
            json={"segmentation": "mix", "segment": "Big spenders", "customer_id": customer},
            headers=bearer(key),
        )
        client.post("/ui/login", data={"key": key, "next": "/ui"}, follow_redirects=False)
        page = client.get(f"/ui/customers?id={customer}")
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["member"] is True
    assert body["conditions"][0]["condition"] == "net_revenue > 1200"
    # The page's "why?" beside the leaf asks for that parent.
    assert page.status_code == 200
    assert 'data-segmentation="mix" data-segment="Big spenders">why?' in page.text
