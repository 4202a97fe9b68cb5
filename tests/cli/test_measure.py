"""`segwise kpis`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import polars as pl
from typer.testing import CliRunner

from segwise.cli.app import app
from tests.project.experiment_demo import EXPERIMENT, copy_project

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

runner = CliRunner()


def test_kpis_table_json_and_file(experiment_copy: Path, tmp_path: Path) -> None:
    config = experiment_copy
    table = runner.invoke(app, ["kpis", str(config), "--segmentation", "lifecycle"])
    assert table.exit_code == 0, table.stderr
    assert "run 1 (as of 2024-09-30): the 30 days after" in table.stdout
    assert "(everyone)" in table.stdout
    found = runner.invoke(app, ["kpis", str(config), "--run", "1", "--window", "60d", "--json"])
    payload = json.loads(found.stdout)
    assert [r["run_id"] for r in payload["runs"]] == [1]
    assert payload["runs"][0]["window_days"] == 60
    everyone = payload["runs"][0]["segments"][0]
    assert set(everyone) >= {"segment", "customers", "conversion", "churn", "aov", "retention"}
    target = tmp_path / "kpis.csv"
    written = runner.invoke(app, ["kpis", str(config), "-o", str(target)])
    assert written.exit_code == 0, written.stderr
    rows = pl.read_csv(target)
    every = json.loads(runner.invoke(app, ["kpis", str(config), "--json"]).stdout)["runs"]
    returned = any(s["top_return_share"] is not None for r in every for s in r["segments"])
    assert set(rows["kpi"]) == {"conversion", "churn", "revenue_per_customer", "aov", "repeat_rate",
                                "top_customer_revenue_share",
                                *(["top_customer_return_share"] if returned else [])}  # fmt: skip
    # Run 2 is as of the last order: nothing after it to measure, so no rows (they said 0%
    # conversion and 100% churn).
    assert set(rows["run_id"]) == {1}
    assert payload["runs"][0]["observed_days"] > 0


def test_kpis_set_a_clv_run_against_what_it_predicted(predicted_shop: Path, tmp_path: Path) -> None:
    config = copy_project(predicted_shop, tmp_path / "shop")
    found = runner.invoke(app, ["kpis", str(config), "--segmentation", "future_tiers"])
    assert found.exit_code == 0, found.stderr
    lines = [line for line in found.stdout.splitlines() if "predicted" in line]
    assert {line.split(":")[0] for line in lines} == {"(everyone)", "high", "medium", "low"}
    assert all(" per customer over 30 days, realised " in line for line in lines)
    target = tmp_path / "kpis.csv"
    written = runner.invoke(
        app, ["kpis", str(config), "--segmentation", "future", "-o", str(target)]
    )
    assert written.exit_code == 0, written.stderr
    rows = pl.read_csv(target)
    ratio = rows.filter(pl.col("kpi") == "realised_to_predicted_revenue")
    assert ratio.height == rows["segment"].n_unique()
    assert (ratio["ci_low"] < ratio["value"]).all() and (ratio["value"] < ratio["ci_high"]).all()
    # A 45-day window was not predicted: no prediction, said by its absence.
    other = runner.invoke(app, ["kpis", str(config), "--segmentation", "future", "--window", "45d"])
    assert other.exit_code == 0 and "predicted" not in other.stdout
    assert "amounts in" not in other.stdout and "AOV (" not in other.stdout


def test_kpis_say_the_currency_of_their_amounts(predicted_shop: Path, tmp_path: Path) -> None:
    config = copy_project(predicted_shop, tmp_path / "shop")
    config.write_text(f"{config.read_text()}\ncurrency: GBP\n")
    found = runner.invoke(app, ["kpis", str(config), "--segmentation", "future"])
    assert found.exit_code == 0, found.stderr
    assert found.stdout.count("(£)") == 2  # the revenue per customer and AOV headings
    assert "amounts in GBP]" in found.stdout


def test_kpis_say_when_no_orders_came_after_any_run(project_copy: Path) -> None:
    found = runner.invoke(app, ["kpis", str(project_copy)])
    assert found.exit_code == 0, found.stderr
    assert "no orders after any stored run's date yet" in found.stdout


def test_analyses_are_kept_and_listed_per_segment(experiment_copy: Path) -> None:
    config = experiment_copy
    empty = runner.invoke(app, ["experiments", str(config)])
    assert "no experiments analysed yet" in empty.stdout
    runner.invoke(
        app,
        [
            "experiment",
            "analyze",
            str(config),
            EXPERIMENT,
            "--segmentation",
            "lifecycle",
            "--no-store",
        ],
    )
    assert "no experiments analysed yet" in runner.invoke(app, ["experiments", str(config)]).stdout
    runner.invoke(
        app, ["experiment", "analyze", str(config), EXPERIMENT, "--segmentation", "lifecycle"]
    )
    listed = json.loads(runner.invoke(app, ["experiments", str(config), "--json"]).stdout)
    assert [(e["experiment"], e["segmentation"]) for e in listed] == [(EXPERIMENT, "lifecycle")]
    lapsed = runner.invoke(app, ["experiments", str(config), "--segment", "Lapsed"])
    assert "what worked in Lapsed: 2" in lapsed.stdout  # conversion and revenue
    assert f"{EXPERIMENT}: free-shipping on conversion, lift +" in lapsed.stdout
    vip = json.loads(
        runner.invoke(app, ["experiments", str(config), "--segment", "VIP", "--json"]).stdout
    )
    assert {r["verdict"] for r in vip} == {"no effect"}


def test_advise_prints_the_advice_with_its_evidence(tmp_path: Path) -> None:
    import segwise as sw
    from tests.project.test_advice import planted

    config = planted(tmp_path)
    sw.Project.from_yaml(config).run(as_of="2025-10-31")
    sw.Project.from_yaml(config).run()
    found = json.loads(runner.invoke(app, ["advise", str(config), "--json"]).stdout)
    kinds = {(a["kind"], tuple(a["segments"])) for a in found[0]["advice"]}
    assert ("merge", ("Team A", "Team B")) in kinds
    assert ("split", ("Team D",)) in kinds
    quick = runner.invoke(app, ["advise", str(config), "--no-split"])
    assert "merge Team A and Team B" in quick.stdout
    assert "split" not in quick.stdout


def test_before_any_run_kpis_and_advise_say_so_in_one_line(tmp_path: Path) -> None:
    import segwise as sw

    config = sw.Project.init(tmp_path / "fresh")
    for command in ("kpis", "advise"):
        found = runner.invoke(app, [command, str(config)])
        assert found.exit_code == 1, command
        lines = found.stderr.strip().splitlines()
        assert len(lines) == 1 and "no runs stored yet" in lines[0], (command, lines)


def test_a_run_whose_window_is_still_open_says_so_and_is_not_the_one_judged(
    tmp_path: Path,
) -> None:
    # Online Retail's run of 2011-11-30 had 8.5 of its 30 days: beside full months its
    # conversion read as a collapse (13.4% against 33.7%). The table is the latest whole
    # window's; the open one is in the trend, labelled.
    import segwise as sw
    from tests.project.test_advice import planted

    config = planted(tmp_path)
    sw.Project.from_yaml(config).run(as_of="2025-10-31")
    sw.Project.from_yaml(config).run(as_of="2025-12-20")  # orders run to 2025-12-30
    found = runner.invoke(app, ["kpis", str(config), "--window", "30d"], env={"COLUMNS": "200"})
    assert found.exit_code == 0, found.stderr
    assert "run 1 (2025-10-31)" in found.stdout
    assert "run 2 (2025-12-20, " in found.stdout and " of 30 days)" in found.stdout
    assert "teams, run 1 (as of 2025-10-31): the 30 days after" in found.stdout
    assert "note: run 2 (as of 2025-12-20) has only" in found.stdout
    payload = json.loads(runner.invoke(app, ["kpis", str(config), "--json"]).stdout)
    assert payload["judged_run"] == 1 and payload["window_note"].startswith("run 2 ")
    # With only the open run measured, it is the one shown, and nothing is said of others.
    alone = json.loads(runner.invoke(app, ["kpis", str(config), "--run", "2", "--json"]).stdout)
    assert alone["judged_run"] == 2 and alone["window_note"] is None


def test_two_years_of_monthly_runs_trend_the_latest_that_fit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Online Retail II's 20 monthly runs: 21 columns in 120 characters read "31…", "r…".
    from datetime import date
    from types import SimpleNamespace

    from segwise.cli.measure import _trend

    def run(k: int) -> SimpleNamespace:
        held = SimpleNamespace(kpis={"conversion": SimpleNamespace(value=k / 100)})
        segments = [SimpleNamespace(segment=name, **vars(held)) for name in ("One-time buyers",)]
        return SimpleNamespace(
            run_id=k, as_of=date(2010, 1, 1), observed_days=30, window_days=30, segments=segments
        )

    _trend([run(k) for k in range(1, 21)])
    shown = capsys.readouterr().out
    assert "conversion by run: the latest 6 of 20 runs (--run picks others" in shown
    assert "run 15" in shown and "run 20" in shown and "run 14" not in shown
    assert "20.0%" in shown and "One-time buyers" in shown and "…" not in shown
    _trend([run(k) for k in range(1, 4)])
    assert "latest" not in capsys.readouterr().out  # three runs fit: all shown
