"""``segwise export``: a file a campaign tool can load, a summary, one-line errors."""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING

import polars as pl
from typer.testing import CliRunner

from segwise.activation import hash_identifier
from segwise.cli.app import app
from segwise.project import open_workspace
from segwise.store import audit

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

runner = CliRunner()


def test_export_for_google_writes_hashed_emails(project_copy: Path, tmp_path: Path) -> None:
    config = project_copy  # the export is written to its audit log
    out = tmp_path / "vip.csv"
    found = runner.invoke(
        app, ["export", str(config), "lifecycle/VIP", "-o", str(out), "--columns", "email",
              "--hash", "google", "--json"],
    )  # fmt: skip
    assert found.exit_code == 0, found.output
    summary = json.loads(found.stdout)
    written = pl.read_csv(out)
    members = open_workspace(config).members("VIP")
    assert summary["rows"] == written.height == members.height
    assert written.columns == ["email"]
    source = pl.read_csv(config.parent / "data" / "customers.csv.gz", infer_schema=False)
    emails = source.filter(pl.col("customer_id") == str(members["customer_id"][0]))["email"][0]
    assert written["email"][0] == hash_identifier(emails, "email", "google")
    logged = audit.entries(open_workspace(config)).filter(pl.col("action") == "export")
    assert logged["target"][0] == "lifecycle/VIP"
    assert json.loads(logged["detail"][0]) == {"rows": members.height, "columns": ["email"],
                                              "hash": "google",  # where, for segwise forget
                                              "output": str(out.resolve())}  # fmt: skip


def test_an_export_for_an_ad_platform_says_when_no_consent_was_checked(
    project_copy: Path, tmp_path: Path
) -> None:
    # A copy: each export is audited in the store, which the shared served project must keep
    # as the service's tests expect it (two exports of their own, and no others).
    out = tmp_path / "meta.csv"
    args = [
        "export",
        str(project_copy),
        "VIP",
        "-o",
        str(out),
        "--columns",
        "email",
        "--hash",
        "meta",
    ]
    unchecked = runner.invoke(app, args)
    assert unchecked.exit_code == 0, unchecked.stderr
    assert "warning: no consent checked" in unchecked.stderr and "--consent" in unchecked.stderr
    everyone = pl.read_csv(out).height
    checked = runner.invoke(app, [*args, "--consent", "consent_ads"])
    assert checked.exit_code == 0, checked.stderr
    assert "no consent checked" not in checked.stderr
    left_out = everyone - pl.read_csv(out).height
    assert left_out > 0
    assert f"note: {left_out:,} members without consent (consent_ads) left out" in checked.stderr


def test_export_mistakes_are_one_line_and_write_nothing(
    served_project: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    config, _ = served_project
    out = tmp_path / "vip.csv"
    found = runner.invoke(app, ["export", str(config), "VIP", "-o", str(out), "--hash", "md5"])
    assert found.exit_code == 1
    assert "--hash md5: unknown" in found.output and "Traceback" not in found.output
    found = runner.invoke(app, ["export", str(config), "Nobody", "-o", str(out)])
    assert found.exit_code == 1 and "no segment 'Nobody'" in found.output
    assert not out.exists()


def test_sync_dry_run_then_sync_and_the_delivery_log(project_copy: Path) -> None:
    project_copy.write_text(
        project_copy.read_text()
        + "destinations:\n  crm: {type: file, path: exports/crm, segments: [lifecycle/VIP],"
        " consent: consent_email, min_size: 1000}\n"
    )
    found = runner.invoke(app, ["sync", str(project_copy), "--dry-run", "--json"])
    assert found.exit_code == 0, found.output
    planned = json.loads(found.stdout)["destinations"][0]
    assert planned["status"] == "planned" and planned["adds"] == 0
    assert "under the minimum of 1,000" in planned["segments"][0]["skipped"]
    found = runner.invoke(app, ["sync", str(project_copy)])
    assert found.exit_code == 0 and "under the minimum" in found.stdout
    found = runner.invoke(app, ["deliveries", str(project_copy), "--json"])
    logged = json.loads(found.stdout)
    assert [(d["destination"], d["status"]) for d in logged] == [("crm", "unchanged")]
    assert "under the minimum" in logged[0]["message"]


def test_sync_to_a_webhook_that_refuses_a_batch_exits_1_and_logs_it(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.activation.receiver import Receiver
    from tests.activation.test_receiver import SECRET

    with Receiver(SECRET, ["400"]) as hook:
        project_copy.write_text(
            project_copy.read_text()
            + f'destinations:\n  hook: {{type: webhook, url: "{hook.url}", secret_env: HOOK_KEY,'
            " segments: [lifecycle/VIP], min_size: 0, batch_size: 100000}\n"
        )
        found = runner.invoke(app, ["sync", str(project_copy)])
        assert found.exit_code == 1
        assert "environment variable HOOK_KEY is not set" in found.output
        assert "Traceback" not in found.output
        monkeypatch.setenv("HOOK_KEY", SECRET)
        found = runner.invoke(app, ["sync", str(project_copy)])
        assert found.exit_code == 1
        assert "1 of 1 batches parked as failed" in found.stdout
        assert "the next sync sends them first" in found.output
        found = runner.invoke(app, ["deliveries", str(project_copy), "--batches", "--json"])
        [parked] = json.loads(found.stdout)
        assert (parked["status"], parked["http_status"], parked["attempts"]) == ("failed", 400, 1)
        found = runner.invoke(app, ["sync", str(project_copy), "--json"])
        assert found.exit_code == 0, found.output
        assert json.loads(found.stdout)["destinations"][0]["earlier_batches"] == 1
        assert hook.members == {
            ("lifecycle", "VIP", str(c))
            for c in open_workspace(project_copy).members("VIP")["customer_id"]
        }


def test_export_without_a_file_writes_csv_to_stdout(
    project_copy: Path,
) -> None:
    found = runner.invoke(app, ["export", str(project_copy), "lifecycle/VIP", "--columns", "email"])
    assert found.exit_code == 0, found.output
    table = pl.read_csv(io.StringIO(found.stdout), infer_schema=False)
    members = open_workspace(project_copy).members("VIP")["customer_id"].cast(pl.String)
    assert table.columns == ["customer_id", "email"]
    assert table["customer_id"].to_list() == members.to_list()
    refused = runner.invoke(app, ["export", str(project_copy), "VIP", "--json"])
    assert refused.exit_code == 1 and "--json prints a summary of a file" in refused.output
