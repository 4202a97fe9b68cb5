"""`segwise purge`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from segwise.cli.app import app
from tests.project.test_retention import set_retention

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

runner = CliRunner()


def test_purge_counts_then_deletes_and_logs_counts_only(project_copy: Path) -> None:
    set_retention(project_copy, runs="1 day", quarantine="90 days")
    planned = runner.invoke(app, ["purge", str(project_copy), "--dry-run", "--json"])
    assert planned.exit_code == 0, planned.stderr
    counts = json.loads(planned.stdout)
    assert counts["dry_run"] is True
    # One stored run: the latest, always kept.
    assert counts["store"]["runs"] == 0
    done = runner.invoke(app, ["purge", str(project_copy)])
    assert done.exit_code == 0, done.stderr
    assert "runs as of a day before" in done.stdout and ": deleted 0" in done.stdout
    log = json.loads(runner.invoke(app, ["audit", str(project_copy), "--json"]).stdout)
    assert (log[0]["action"], log[0]["target"]) == ("purge", "retention")
    assert json.loads(log[0]["detail"])["runs"] == 0


def test_without_retention_purge_says_nothing_is_past_it(project_copy: Path) -> None:
    found = runner.invoke(app, ["purge", str(project_copy)])
    assert found.exit_code == 0, found.stderr
    assert "no retention: section" in found.stdout
    bad = project_copy.read_text() + "retention: {runs: soon}\n"
    project_copy.write_text(bad)
    refused = runner.invoke(app, ["purge", str(project_copy)])
    assert refused.exit_code == 1
    assert "is not a retention period" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


KEY = "0123456789abcdef0123456789abcdef"


def test_forget_needs_ids_and_a_key(project_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGWISE_PRIVACY_KEY", raising=False)
    nothing = runner.invoke(app, ["forget", str(project_copy)])
    assert nothing.exit_code != 0 and "no customer to forget" in nothing.output
    keyless = runner.invoke(app, ["forget", str(project_copy), "0000001"])
    assert keyless.exit_code != 0
    assert "needs the project's secret key" in keyless.output
    assert "SEGWISE_PRIVACY_KEY" in keyless.output and "Traceback" not in keyless.output


def test_forget_from_a_file_then_access_finds_nothing(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", KEY)
    record = tmp_path / "0000001.json"
    held = runner.invoke(app, ["access", str(project_copy), "0000001", "-o", str(record)])
    assert held.exit_code == 0, held.output
    found = json.loads(record.read_text())
    assert found["customer"]["email"] == "customer0000001@example.com"
    assert {s["segmentation"] for s in found["segments"]} >= {"value", "lifecycle"}
    assert found["features"]["customer_id"] == "0000001"
    ids = tmp_path / "ids.txt"
    ids.write_text("0000001\n\n0000002\n")
    planned = runner.invoke(app, ["forget", str(project_copy), "--from-file", str(ids), "--dry-run",
                                  "--json"])  # fmt: skip
    assert planned.exit_code == 0, planned.output
    plan = json.loads(planned.stdout)
    assert plan["customers"] == 2 and plan["dry_run"] and plan["store"]["membership_intervals"]
    assert str(record) in plan["files"]  # the access file written above names them
    done = runner.invoke(app, ["forget", str(project_copy), "--from-file", str(ids)])
    assert done.exit_code == 0, done.output
    assert "2 customers: cleaned" in done.stdout
    gone = runner.invoke(app, ["access", str(project_copy), "0000001"])
    assert gone.exit_code != 0 and "nothing is held about them" in gone.output
    log = json.loads(runner.invoke(app, ["audit", str(project_copy), "--json"]).stdout)
    assert log[0]["action"] == "forget" and "0000001" not in json.dumps(log)
    monkeypatch.delenv("SEGWISE_PRIVACY_KEY")
    blind = runner.invoke(app, ["validate", str(project_copy)])
    assert blind.exit_code != 0 and "needs the project's secret key" in blind.output


def test_the_record_of_processing_maps_sources_purposes_and_erasures(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_retention(project_copy, runs="24 months", transactions="36 months")
    first = json.loads(runner.invoke(app, ["privacy", str(project_copy), "--json"]).stdout)
    customers = next(s for s in first["sources"] if s["source"] == "customers")
    assert customers["personal"] == ["email", "phone"]
    orders = next(s for s in first["sources"] if s["source"] == "transactions")
    assert orders["retention"] == "36 months" and first["retention"]["runs"] == "24 months"
    assert first["purposes"]["segmentation"]["value"] == "rfm"
    assert (first["erased_customers"], first["last_erasure"], first["last_purge"]) == (
        0,
        None,
        None,
    )
    monkeypatch.setenv("SEGWISE_PRIVACY_KEY", KEY)
    assert runner.invoke(app, ["forget", str(project_copy), "0000003"]).exit_code == 0
    assert runner.invoke(app, ["purge", str(project_copy)]).exit_code == 0
    after = json.loads(runner.invoke(app, ["privacy", str(project_copy), "--json"]).stdout)
    assert after["erased_customers"] == 1
    assert after["last_erasure"]["counts"]["customers"] == 1
    assert after["last_purge"]["counts"]["runs"] == 0
    text = runner.invoke(app, ["privacy", str(project_copy)])
    assert text.exit_code == 0 and "Erased customers (tombstones): 1" in text.stdout
    assert "customers: data/customers.csv.gz (personal: email, phone)" in text.stdout
