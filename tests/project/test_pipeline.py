"""The project pipeline: segwise.yaml, runs, the store, engine parity, killed runs, locking."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from typing import TYPE_CHECKING, Any

import polars as pl
import pytest
from typer.testing import CliRunner

from segwise.cli.app import app
from segwise.exceptions import ConfigError
from segwise.project import Project
from segwise.store import StoreLockedError, Workspace
from tests.project.demo import keep_segmentations, pin_k

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shop")
    Project.init(folder)
    return folder


@pytest.fixture(scope="module")
def polars_run(project_dir: Path) -> Any:
    """The demo's run on Polars, shared by the tests that only read it."""
    return Project.from_yaml(project_dir / "segwise.yaml").run()


def memberships(result: Any) -> dict[str, pl.DataFrame]:
    return {s.name: s.members.sort("customer_id", "segment") for s in result.segmentations}


def test_init_run_twice_and_query_both_runs(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    assert runner.invoke(app, ["init", str(folder)]).exit_code == 0
    pin_k(folder / "segwise.yaml", "behaviour", 3)  # the demo's k: runs and queries are tested
    first = runner.invoke(
        app, ["run", str(folder / "segwise.yaml"), "--as-of", "2024-06-30", "--json"]
    )
    assert first.exit_code == 0, first.stderr
    payload = json.loads(first.stdout)
    assert payload["run_id"] == 1 and payload["as_of"] == "2024-06-30"
    assert set(payload["segmentations"]) == {
        "value",
        "lifecycle",
        "behaviour",
        "future",
        "future_tiers",
    }
    assert (folder / "report.html").exists()
    second = runner.invoke(app, ["run", str(folder)])
    assert second.exit_code == 0, second.stderr
    assert "run 2 · as of 2024-12-31" in second.stdout
    listed = runner.invoke(app, ["runs", str(folder), "--json"])
    runs = json.loads(listed.stdout)
    assert [(r["run_id"], r["as_of"]) for r in runs] == [(1, "2024-06-30"), (2, "2024-12-31")]
    store = Workspace(folder / "segwise.duckdb")
    for run in (1, 2):
        vip = runner.invoke(app, ["members", str(folder), "VIP", "--run", str(run), "--json"])
        assert vip.exit_code == 0, vip.stderr
        assert json.loads(vip.stdout) == store.members("VIP", run=run)["customer_id"].to_list()
    # Customers move between segments as the as-of date changes.
    assert store.members("VIP", run=1).height != store.members("VIP", run=2).height
    ambiguous = runner.invoke(app, ["members", str(folder), "nope"])
    assert ambiguous.exit_code == 1 and "has no segment 'nope'" in ambiguous.stderr


def test_every_customer_has_one_membership_per_exclusive_segmentation(polars_run: Any) -> None:
    result = polars_run
    for name, members in memberships(result).items():
        assert members["customer_id"].n_unique() == members.height, name
    cluster = next(s for s in result.segmentations if s.method == "cluster")
    assert 3 <= len(cluster.cards) <= 8
    assert all(card.traits and card.definition for card in cluster.cards)


HEAD = "name: x\nsources:\n  transactions: {path: a.csv}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "name: x\nsources:\n  transactions: {path: a.csv}\nsegmentatons: {}\n",
            "line 4: segmentatons: unknown key. Did you mean 'segmentations'?",
        ),
        (
            "name: x\nsources:\n  transactions: {path: a.csv}\nsegmentations:\n  v:\n"
            "    method: rfm\n    bins: five\n",
            "line 7: segmentations.v.bins: Input should be a valid integer",
        ),
        (
            f"{HEAD}segmentations:\n  v: {{method: magic}}\n",
            "line 5: segmentations.v: Input tag 'magic' found using 'method' does not match",
        ),
        (
            f"{HEAD}segmentations:\n  r:\n    method: rules\n",
            "segmentations.r.rules: give either 'segments' (a list) or 'catalog' (a YAML file)",
        ),
    ],
    ids=["unknown key", "wrong type", "unknown method", "rules without segments"],
)
def test_config_errors_name_the_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "segwise.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        Project.from_yaml(path)
    assert message in str(caught.value)
    assert str(caught.value).startswith(str(path))


def test_validate_finds_a_bad_rule_without_running(project_dir: Path, tmp_path: Path) -> None:
    text = (
        (project_dir / "segwise.yaml")
        .read_text()
        .replace('"recency_days > 365"', '"recency_dys > 365"')
    )
    broken = tmp_path / "segwise.yaml"
    broken.write_text(text)
    (tmp_path / "data").symlink_to(project_dir / "data")
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 1
    assert "unknown column 'recency_dys'" in result.stderr
    assert "Did you mean 'recency_days'?" in result.stderr
    assert not (tmp_path / "segwise.duckdb").exists()
    good = runner.invoke(app, ["validate", str(project_dir / "segwise.yaml")])
    assert good.exit_code == 0, good.stderr
    assert "valid; segmentations value (rfm), lifecycle (rules)" in good.stdout


def test_validate_reports_every_problem_at_once(project_dir: Path, tmp_path: Path) -> None:
    # Issue 11: from init to one's own data took four rounds of validate.
    text = (
        (project_dir / "segwise.yaml")
        .read_text()
        .replace('"recency_days > 365"', '"recency_dys > 365"')
        .replace("preset: segwise", "map: maps/missing.yaml")
        .replace("email_open_30d,", "email_opens_30d,")
    )
    broken = tmp_path / "segwise.yaml"
    broken.write_text(text)
    (tmp_path / "data").symlink_to(project_dir / "data")
    result = runner.invoke(app, ["validate", str(broken)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 3, result.stderr
    assert "missing.yaml" in errors[0]
    assert "unknown column 'recency_dys'" in errors[1]
    assert "no feature column 'email_opens_30d'" in errors[2]
    assert "Traceback" not in result.stderr
    # A source that cannot be read is said once, not again by every rule that needs it.
    gone = tmp_path / "gone.yaml"
    gone.write_text(text.replace("data/events.parquet", "data/missing-events.parquet"))
    result = runner.invoke(app, ["validate", str(gone)])
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert any("missing-events.parquet: no such file" in line for line in errors)
    assert any("recency_dys" in line for line in errors)
    assert not any("needs the events table" in line for line in errors), result.stderr
    # Two mistakes in the file itself are both reported too, each with its line.
    keys = tmp_path / "keys.yaml"
    keys.write_text(text.replace("engine: polars", "engin: polars").replace("report:", "reprt:"))
    keyed = runner.invoke(app, ["validate", str(keys)])
    lines = [line for line in keyed.stderr.splitlines() if line.startswith("error: ")]
    assert len(lines) == 2, keyed.stderr
    assert "engin: unknown key" in lines[0] and "reprt: unknown key" in lines[1]


def test_same_project_on_duckdb_gives_the_same_memberships(
    project_dir: Path, polars_run: Any
) -> None:
    project = Project.from_yaml(project_dir / "segwise.yaml")
    duckdb_run = memberships(project.run(engine="duckdb"))
    for name, members in memberships(polars_run).items():
        assert members.equals(duckdb_run[name]), name


@pytest.mark.spark
def test_same_project_on_spark_gives_the_same_memberships(
    project_dir: Path, polars_run: Any, spark: Any
) -> None:
    project = Project.from_yaml(project_dir / "segwise.yaml")
    cached = spark.sparkContext._jsc.getPersistentRDDs().size
    before = cached()
    spark_run = memberships(project.run(engine="spark", spark=spark))
    for name, members in memberships(polars_run).items():
        assert members.equals(spark_run[name]), name
    # The run's cached frames are released with it: a session running project after
    # project (a notebook, the service) does not fill its driver's heap with them.
    assert cached() == before


KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from segwise.project import Project

    def step(message):
        # Inside the store's transaction, after the first segmentation's memberships.
        if message == "storing lifecycle":
            os.kill(os.getpid(), signal.SIGKILL)

    Project.from_yaml(sys.argv[1]).run(progress=step, as_of="2024-12-31")
    """
)


def test_killed_run_leaves_only_complete_runs(project_copy: Path) -> None:
    # The demo with its first run stored; the killer needs two segmentations, not four.
    config = keep_segmentations(project_copy, "value", "lifecycle")
    tmp_path = config.parent
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, str(config)], capture_output=True, text=True, check=False
    )
    assert killed.returncode == -9, killed.stderr
    store = Workspace(tmp_path / "segwise.duckdb")
    assert store.runs()["run_id"].to_list() == [1]
    assert store.segments(run=1).height > 0
    import duckdb

    with duckdb.connect(str(store.path), read_only=True) as connection:
        runs_in_members = connection.execute(
            "SELECT DISTINCT from_run FROM membership_intervals"
        ).fetchall()
    assert runs_in_members == [(1,)]
    # The lock died with the process: the next run goes through and is run 2.
    assert Project.from_yaml(config).run(as_of="2024-12-31").run_id == 2


def test_two_runs_at_once_are_serialised_by_the_lock(tmp_path: Path) -> None:
    store = Workspace(tmp_path / "segwise.duckdb", lock_timeout=0.5)
    with store.locked(), pytest.raises(StoreLockedError) as caught:  # noqa: SIM117
        with Workspace(store.path, lock_timeout=0.5).locked():
            pass
    assert "another segwise run (pid" in str(caught.value)
    assert "has held the store for over 0 s" in str(caught.value)
    messages: list[str] = []
    order: list[str] = []

    def second() -> None:
        with Workspace(store.path, lock_timeout=10).locked(messages.append):
            order.append("second")

    with store.locked():
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.6)
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]
    assert messages and messages[0].startswith("waiting for another run on")


def test_overlapping_rules_store_one_row_per_audience(tmp_path: Path) -> None:
    config = keep_segmentations(Project.init(tmp_path), "lifecycle")
    config.write_text(config.read_text().replace("exclusive: true", "exclusive: false"))
    result = Project.from_yaml(config).run()
    rules = next(s for s in result.segmentations if s.method == "rules")
    sizes = {card.name: card.size for card in rules.cards}
    assert "Other" not in sizes
    assert rules.members.height == sum(sizes.values())
    assert rules.members["customer_id"].n_unique() < rules.members.height  # audiences overlap
    store = Workspace(tmp_path / "segwise.duckdb")
    for name, size in sizes.items():
        assert store.members(name, segmentation="lifecycle").height == size


def test_generated_rules_run_at_a_month_end(project_dir: Path, tmp_path: Path) -> None:
    # Issue 12, defect 3: the cluster definitions wrote app_user = 'true' and failed this run.
    shutil.copytree(project_dir, tmp_path / "shop")
    (tmp_path / "shop" / "segwise.duckdb").unlink(missing_ok=True)  # its run is as of 12-31
    config = keep_segmentations(tmp_path / "shop" / "segwise.yaml", "behaviour")
    result = Project.from_yaml(config).run(as_of="2024-08-30")
    cluster = next(s for s in result.segmentations if s.method == "cluster")
    assert all(card.definition for card in cluster.cards)


def test_as_of_before_all_data_is_named(project_dir: Path) -> None:
    # Issue 12, defect 25: it said "no feature column 'visit_30d'".
    result = runner.invoke(app, ["run", str(project_dir), "--as-of", "2000-01-01"])
    assert result.exit_code == 1
    assert "as-of date 2000-01-01 is before the first transaction (2023-01-01)" in result.stderr


def test_a_run_takes_the_lock_before_reading(project_dir: Path, tmp_path: Path) -> None:
    # Issue 12, defect 23: runs computed in parallel and raced on the report and quarantine.
    folder = tmp_path / "shop"
    shutil.copytree(project_dir, folder)
    keep_segmentations(folder / "segwise.yaml", "lifecycle")
    messages: list[str] = []
    store = Workspace(folder / "segwise.duckdb")
    with store.locked():
        thread = threading.Thread(
            target=lambda: Project.from_yaml(folder).run(progress=messages.append)
        )
        thread.start()
        time.sleep(1.0)
        assert messages and messages[0].startswith("waiting for another run")
        assert "Reading the sources" not in messages
    thread.join(timeout=120)
    assert "Reading the sources" in messages


def test_runs_and_members_do_not_load_scikit_learn(project_dir: Path, polars_run: Any) -> None:
    # Issue 12, defect 27: runs and members took 5-10 s importing scikit-learn.
    script = (
        "import sys; from typer.testing import CliRunner; from segwise.cli.app import app; "
        f"r = CliRunner().invoke(app, ['runs', {str(project_dir)!r}]); assert r.exit_code == 0; "
        f"r = CliRunner().invoke(app, ['members', {str(project_dir)!r}, 'VIP']); "
        "assert r.exit_code == 0, r.stderr; "
        "print(sorted(m for m in ('sklearn', 'plotly') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_clv_tiers_are_a_stored_segmentation(project_dir: Path, polars_run: Any) -> None:
    # Issue 11: tiers configured in a project appeared nowhere (report, store, members).
    result = polars_run
    tiers = next(s for s in result.segmentations if s.name == "future_tiers")
    assert [card.name for card in tiers.cards][:3] == ["high", "medium", "low"]
    scored = tiers.members.filter(pl.col("segment") != "(not scored)")
    shares = scored.group_by("segment").len().with_columns(pl.col("len") / scored.height)
    assert dict(shares.iter_rows())["high"] == pytest.approx(0.2, abs=0.01)
    run = str(result.run_id)  # other tests of this module store later runs
    listed = runner.invoke(app, ["members", str(project_dir), "high", "--run", run, "--json"])
    assert listed.exit_code == 0, listed.stderr
    assert sorted(json.loads(listed.stdout)) == sorted(
        tiers.members.filter(pl.col("segment") == "high")["customer_id"].to_list()
    )
    assert 'data-segmentation="future_tiers"' in result.report.read_text()


def _behaviour(result: Any) -> Any:
    return next(s for s in result.segmentations if s.name == "behaviour")


def test_a_frozen_cluster_model_keeps_segment_ids_and_names(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    # The demo's k (3): what is kept and reused is the model, however its k was chosen.
    config = pin_k(keep_segmentations(Project.init(folder), "behaviour"), "behaviour", 3)
    text = config.read_text()
    assert "    model: models/behaviour.json\n" in text  # a new project keeps its model
    first = Project.from_yaml(config).run(as_of="2024-09-30")
    assert (folder / "models" / "behaviour.json").is_file()
    second = Project.from_yaml(config).run(as_of="2024-12-31")  # a later month, new data
    ids = {c.label: c.name for c in _behaviour(first).cards if c.label >= 0}
    again = {c.label: c.name for c in _behaviour(second).cards if c.label >= 0}
    assert again == ids
    assert _behaviour(second).definition["refitted"] is False
    assert _behaviour(second).definition["fitted_as_of"] == "2024-09-30"
    # The project names a segment and gives it a playbook, by id; the report shows both.
    renamed = text.replace(
        "    model: models/behaviour.json\n",
        "    model: models/behaviour.json\n    segments:\n"
        "      0: {name: Core shoppers, playbook: {messaging: Thank you, channels: [email]}}\n",
    )
    config.write_text(renamed)
    third = Project.from_yaml(config).run(as_of="2024-12-31")
    card = next(c for c in _behaviour(third).cards if c.label == 0)
    assert card.name == "Core shoppers" and card.auto_name == ids[0]
    assert card.playbook == ("messaging: Thank you", "channels: email")
    assert "Core shoppers" in set(_behaviour(third).members["segment"].to_list())
    page = third.report.read_text()
    assert "Core shoppers" in page and "<li>messaging: Thank you</li>" in page
    # Monthly refits when the as-of month changes; an unknown id is an error.
    config.write_text(renamed.replace("    model:", "    refit: monthly\n    model:"))
    monthly = Project.from_yaml(config).run(as_of="2025-01-31")
    assert _behaviour(monthly).definition["refitted"] is True
    config.write_text(renamed.replace("      0: {name", "      42: {name"))
    with pytest.raises(ConfigError, match="no segment id 42"):
        Project.from_yaml(config).run(as_of="2025-01-31")
    # A model fitted on other settings is not silently reused for the new ones.
    config.write_text(renamed.replace("email_open_30d,", ""))
    with pytest.raises(ConfigError, match="features changed since the model"):
        Project.from_yaml(config).run(as_of="2025-01-31")


def test_validate_notes_a_cluster_segmentation_that_keeps_no_model(tmp_path: Path) -> None:
    config = keep_segmentations(Project.init(tmp_path / "shop"), "behaviour")
    kept = runner.invoke(app, ["validate", str(config)])
    assert kept.exit_code == 0, kept.stderr
    assert "keeps no model" not in kept.stderr
    config.write_text(config.read_text().replace("    model: models/behaviour.json\n", ""))
    unkept = runner.invoke(app, ["validate", str(config)])
    assert unkept.exit_code == 0, unkept.stderr
    assert "note: segmentations.behaviour keeps no model" in unkept.stderr
    # Clusters inside a hybrid's rule segments are checked too.
    from types import SimpleNamespace as Spec

    from segwise.cli.project import _unkept_cluster_models

    hybrid = Spec(method="hybrid", within={"Active": Spec(method="cluster", model=None),
                                           "Rest": Spec(method="rfm")})  # fmt: skip
    kept_model = Spec(method="cluster", model="m.json")
    found = _unkept_cluster_models({"mixed": hybrid, "b": kept_model})
    assert found == ["segmentations.mixed.within.Active"]


def test_refit_without_a_model_file_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    config = Project.init(folder)
    text = config.read_text().replace("    model: models/behaviour.json\n", "")
    config.write_text(text.replace("    k: auto\n", "    k: auto\n    refit: never\n"))
    with pytest.raises(ConfigError, match="refit: never needs 'model: PATH'"):
        Project.from_yaml(config)
