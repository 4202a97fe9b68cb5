"""`segwise experiment plan`, `assign` and `analyze`."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.project import open_workspace

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


def test_plan_for_a_share_equals_statsmodels_and_reads_in_words() -> None:
    found = runner.invoke(app, ["experiment", "plan", "--baseline", "0.05", "--mde", "0.01"])
    assert found.exit_code == 0, found.stderr
    assert "8,143 customers per arm (16,286 in all)" in found.stdout
    assert "5.0% → 6.0% (+1 pp)" in found.stdout
    as_json = runner.invoke(
        app,
        [
            "experiment",
            "plan",
            "--baseline",
            "0.1",
            "--mde",
            "0.015",
            "--alpha",
            "0.01",
            "--power",
            "0.9",
            "--json",
        ],
    )
    design = json.loads(as_json.stdout)
    expected = NormalIndPower().solve_power(
        proportion_effectsize(0.115, 0.1), alpha=0.01, power=0.9, ratio=1
    )
    assert design["n_per_arm"] == math.ceil(expected)
    assert design["n_total"] == 2 * design["n_per_arm"]


def test_plan_for_a_mean_uses_cohens_d() -> None:
    found = runner.invoke(
        app,
        [
            "experiment",
            "plan",
            "--baseline",
            "40",
            "--mde",
            "2",
            "--std",
            "25",
            "--ratio",
            "2",
            "--json",
        ],
    )
    design = json.loads(found.stdout)
    expected = NormalIndPower().solve_power(2 / 25, alpha=0.05, power=0.8, ratio=2)
    assert design["metric"] == "continuous"
    assert design["n_per_arm"] == math.ceil(expected)
    assert design["n_treatment"] == math.ceil(2 * design["n_per_arm"])


def test_segments_large_enough_and_the_lift_each_could_show(project_copy: Path) -> None:
    sizes = open_workspace(project_copy).segments()
    largest = int(sizes["size"].max())  # type: ignore[arg-type]
    # An MDE the largest segment can just afford, then the others cannot.
    found = runner.invoke(
        app,
        [
            "experiment",
            "plan",
            "--baseline",
            "0.2",
            "--mde",
            "0.1",
            "--json",
            "--segment-sizes-from",
            str(project_copy),
        ],
    )
    design = json.loads(found.stdout)
    rows = design["segments"]
    assert len(rows) == sizes.height
    for row in rows:
        assert row["enough"] == (row["customers"] >= design["n_total"])
        if row["detectable_lift"] is not None and row["customers"] >= 100:
            # Smaller segments can only show larger lifts.
            assert (row["detectable_lift"] <= 0.1) == row["enough"]
    assert any(r["enough"] for r in rows) == (largest >= design["n_total"])
    table = runner.invoke(
        app,
        [
            "experiment",
            "plan",
            "--baseline",
            "0.2",
            "--mde",
            "0.1",
            "--segment-sizes-from",
            str(project_copy),
        ],
    )
    assert "large enough" in table.stdout


def test_bad_designs_are_one_line_errors(project_copy: Path) -> None:
    share = runner.invoke(app, ["experiment", "plan", "--baseline", "5", "--mde", "0.01"])
    assert share.exit_code == 1
    assert share.stderr.strip().splitlines() == [
        "error: --baseline 5.0 is not a share between 0 and 1. Give a conversion rate such as "
        "0.05, or --std for a mean."
    ]
    missing = runner.invoke(
        app,
        [
            "experiment",
            "plan",
            "--baseline",
            "0.05",
            "--mde",
            "0.01",
            "--segmentation",
            "nope",
            "--segment-sizes-from",
            str(project_copy),
        ],
    )
    assert missing.exit_code == 1
    assert "no segmentation 'nope'" in missing.stderr


def test_assign_writes_the_exposure_file_and_logs_it(project_copy: Path) -> None:
    target = project_copy.parent / "spring.csv"
    found = runner.invoke(
        app,
        [
            "experiment",
            "assign",
            str(project_copy),
            "spring",
            "--split",
            "90,10",
            "-o",
            str(target),
            "--json",
        ],
    )
    assert found.exit_code == 0, found.stderr
    summary = json.loads(found.stdout)
    assert [v["variant"] for v in summary["variants"]] == ["A", "B"]
    assert [v["share"] for v in summary["variants"]] == [0.9, 0.1]
    import polars as pl

    written = pl.read_csv(target, infer_schema=False)
    assert written.columns == ["customer_id", "experiment", "variant", "timestamp"]
    assert written.height == summary["customers"]
    on_stdout = runner.invoke(
        app, ["experiment", "assign", str(project_copy), "spring", "--split", "90,10"]
    )
    again = pl.read_csv(on_stdout.stdout.encode(), infer_schema=False)
    assert again.select("customer_id", "variant").equals(written.select("customer_id", "variant"))
    log = json.loads(runner.invoke(app, ["audit", str(project_copy), "--json"]).stdout)
    assert log[0]["action"] == "experiment.assign"
    assert log[0]["target"] == "spring"


def test_assign_sends_the_variants_to_a_destination(project_copy: Path) -> None:
    import polars as pl

    from tests.project.test_sync import with_destinations

    with_destinations(project_copy)
    target = project_copy.parent / "spring.csv"
    command = ["experiment", "assign", str(project_copy), "spring", "--segment", "Lapsed"]
    dry = runner.invoke(app, [*command, "--destination", "crm", "--dry-run"])
    assert dry.exit_code == 0, dry.stderr
    assert "what would be sent (dry run)" in dry.stdout
    found = runner.invoke(app, [*command, "--destination", "crm", "-o", str(target), "--json"])
    assert found.exit_code == 0, found.stderr
    summary = json.loads(found.stdout)
    assert summary["sync"]["status"] == "delivered"
    assert {s["segment"] for s in summary["sync"]["segments"]} == {"A", "B"}
    written = pl.read_csv(target, infer_schema=False)
    # Who the destination holds: every assigned customer it may email, and only them.
    assert written.height == summary["sync"]["adds"] == summary["customers"]
    assert sum(s["members"] for s in summary["sync"]["segments"]) > written.height
    log = json.loads(runner.invoke(app, ["audit", str(project_copy), "--json"]).stdout)
    assert (log[0]["action"], json.loads(log[0]["detail"])["destination"]) == (
        "experiment.assign",
        "crm",
    )
    lonely = runner.invoke(app, [*command, "--dry-run"])
    assert lonely.exit_code == 1
    assert "--dry-run is for --destination" in lonely.stderr


def test_assign_errors_are_one_line(project_copy: Path) -> None:
    uneven = runner.invoke(
        app,
        ["experiment", "assign", str(project_copy), "x", "--variants", "A,B,C", "--split", "1,2"],
    )
    assert uneven.exit_code == 1
    assert uneven.stderr.strip().splitlines() == [
        "error: 3 variants but 2 shares. Give one share per variant, e.g. --split 50,50."
    ]
    nowhere = runner.invoke(
        app, ["experiment", "assign", str(project_copy), "x", "--segment", "Nope"]
    )
    assert nowhere.exit_code == 1
    assert "no segment 'Nope'" in nowhere.stderr


def test_analyze_prints_verdicts_and_a_table_and_json(experiment_copy: Path) -> None:
    from tests.project.experiment_demo import EXPERIMENT

    config = experiment_copy
    table = runner.invoke(
        app, ["experiment", "analyze", str(config), EXPERIMENT, "--segmentation", "lifecycle"]
    )
    assert table.exit_code == 0, table.stderr
    assert "· Lapsed: Variant free-shipping lifts conversion in Lapsed by +" in table.stdout
    assert "differs across segments" in table.stdout
    found = runner.invoke(
        app,
        [
            "experiment",
            "analyze",
            str(config),
            EXPERIMENT,
            "--metric",
            "orders",
            "--correction",
            "bh",
            "--no-cuped",
            "--json",
        ],
    )
    payload = json.loads(found.stdout)
    assert payload["correction"] == "bh"
    assert {r["metric"] for r in payload["results"]} == {"orders"}
    assert all(r["variance_reduction"] is None for r in payload["results"])
    bad = runner.invoke(app, ["experiment", "analyze", str(config), EXPERIMENT, "--window", "x"])
    assert bad.exit_code == 1
    assert bad.stderr.strip() == "error: --window 'x' is not a number of days. E.g. --window 30d."
