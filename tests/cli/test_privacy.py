"""`segwise purge`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from segwise.cli.app import app
from tests.project.test_retention import set_retention

if TYPE_CHECKING:
    from pathlib import Path

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
